import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ApiErrorResponse } from './common/errors/api-error.dto';
import { AppConfig } from './config/app-config';
import { completeDocument, routeFacts } from './openapi/complete-document';
import { operationIdFor } from './openapi/operation-ids';

/** Swagger UI at /api/docs and the OpenAPI document at /api/docs-json (SPEC §10). */
export function setupSwagger(app: INestApplication, config: AppConfig): void {
  const built = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tessera API')
      .setDescription(
        'Projects and issues in workspaces, behind API tokens with scopes, roles, plans and ' +
          'billing checks. Workspace-scoped routes need the X-Workspace-Id header. ' +
          'Every error is JSON: { statusCode, error, code, message, details? }.',
      )
      .setVersion('1')
      .addServer(config.publicUrl)
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'Tessera API token (ts_…)',
          description: 'An API token: Authorization: Bearer ts_…',
        },
        'bearer',
      )
      .addApiKey(
        {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description: 'An API token in X-API-Key (alias X-Redmine-API-Key)',
        },
        'api-key',
      )
      .addApiKey(
        {
          type: 'apiKey',
          in: 'query',
          name: 'key',
          description: 'An API token as ?key= (discouraged; admins can switch it off)',
        },
        'query-key',
      )
      .addOAuth2(
        {
          type: 'oauth2',
          description: 'OAuth2 authorization code flow with PKCE, for registered applications.',
          flows: {
            authorizationCode: {
              authorizationUrl: `${config.publicUrl}/oauth/authorize`,
              tokenUrl: `${config.publicUrl}/oauth/token`,
              refreshUrl: `${config.publicUrl}/oauth/token`,
              scopes: {
                read: 'Read workspaces, projects, issues and tokens',
                write: 'Create and change projects, issues and tokens',
                delete: 'Delete issues and projects, revoke tokens',
                admin: 'Everything the user can do, including administration',
              },
            },
          },
        },
        'oauth2',
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
    // The error schema every error response of the completion pass refers to.
    { operationIdFactory: operationIdFor, extraModels: [ApiErrorResponse] },
  );
  const document = completeDocument(built, routeFacts(app));
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    customSiteTitle: 'Tessera API',
    swaggerOptions: { persistAuthorization: true },
  });
}
