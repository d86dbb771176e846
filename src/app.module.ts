import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuthFailures } from './auth/auth-failures';
import { AdminModule } from './admin/admin.module';
import { AuditModule } from './audit/audit.module';
import { EventsModule } from './events/events.module';
import { SchedulerModule } from './scheduler/scheduler.module';
import { MailModule } from './mail/mail.module';
import { MetricsModule } from './metrics/metrics.module';
import { AuthModule } from './auth/auth.module';
import { CacheModule } from './cache/cache.module';
import { ApiExceptionFilter } from './common/filters/api-exception.filter';
import { AccessGuard } from './auth/guards/access.guard';
import { AuthenticationGuard } from './auth/guards/authentication.guard';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DocsModule } from './docs/docs.module';
import { OAuthModule } from './oauth/oauth.module';
import { WebModule } from './web/web.module';
import { HealthModule } from './health/health.module';
import { IssuesModule } from './issues/issues.module';
import { ProjectsModule } from './projects/projects.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { SessionsModule } from './sessions/sessions.module';
import { SettingsModule } from './settings/settings.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';
import { WorkspacesModule } from './workspaces/workspaces.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        CacheModule,
        RateLimitModule,
        SettingsModule,
        AuditModule,
        EventsModule,
        SchedulerModule,
        MailModule,
        AuthModule,
        TokensModule,
        UsersModule,
        SessionsModule,
        WorkspacesModule,
        ProjectsModule,
        IssuesModule,
        AdminModule,
        HealthModule,
        DocsModule,
        OAuthModule,
        WebModule,
        WebhooksModule,
        MetricsModule.forRoot(config),
      ],
      providers: [
        // Order matters: who is calling, how often, then what they may do.
        { provide: APP_GUARD, useClass: AuthenticationGuard },
        { provide: APP_GUARD, useExisting: RateLimitGuard },
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        AuthFailures,
      ],
    };
  }
}
