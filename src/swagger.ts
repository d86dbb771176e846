import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from './config/app-config';

/** Swagger UI at /api/docs and the OpenAPI document at /api/docs-json (SPEC §10). */
export function setupSwagger(app: INestApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tessera API')
      .setDescription(
        'Projects and issues in workspaces, behind API tokens with scopes, roles, plans and ' +
          'billing checks. Workspace-scoped routes need the X-Workspace-Id header. ' +
          'Every error is JSON: { statusCode, error, code, message }.',
      )
      .setVersion('1')
      .addServer(config.publicUrl)
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', description: 'An API token: Authorization: Bearer ts_…' },
        'bearer',
      )
      .addBasicAuth(
        {
          type: 'http',
          scheme: 'basic',
          description: 'username:password, or any user name with an API token as the password',
        },
        'basic',
      )
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    customSiteTitle: 'Tessera API',
    swaggerOptions: { persistAuthorization: true },
  });
}
