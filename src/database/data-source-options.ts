import { prepareDataDir } from './data-dir';
import { DataSourceOptions } from 'typeorm';
import { AuditEvent } from '../audit/entities/audit-event.entity';
import { AppConfig } from '../config/app-config';
import { Issue } from '../issues/entities/issue.entity';
import { Project } from '../projects/entities/project.entity';
import { InstanceSettings } from '../settings/entities/instance-settings.entity';
import { ApiToken } from '../tokens/entities/api-token.entity';
import { User } from '../users/entities/user.entity';
import { Membership } from '../workspaces/entities/membership.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { LegacyAuthUsage as LegacyAuthUsageEntity } from '../auth/entities/legacy-auth-usage.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { LegacyAuthUsage1764100000000 } from './migrations/1764100000000-legacy-auth-usage';
import { OAuth1764200000000 } from './migrations/1764200000000-oauth';
import { MillisecondTimestamps1764300000000 } from './migrations/1764300000000-millisecond-timestamps';
import { TokenRateLimit1764400000000 } from './migrations/1764400000000-token-rate-limit';
import { TotpLastStep1764500000000 } from './migrations/1764500000000-totp-last-step';
import { SessionsValidAfter1764600000000 } from './migrations/1764600000000-sessions-valid-after';
import { WebSessions1764730000000 } from './migrations/1764730000000-web-sessions';
import { PasswordResets1764730000001 } from './migrations/1764730000001-password-resets';
import { PasswordReset } from '../users/entities/password-reset.entity';
import { WebSession } from '../sessions/entities/web-session.entity';
import { LoginKeyAndRecoveryCodes1764740000000 } from './migrations/1764740000000-login-key-and-recovery-codes';
import { EventMail1764900000002 } from './migrations/1764900000002-event-mail';
import { Scheduler1764900000001 } from './migrations/1764900000001-scheduler';
import { SchedulerLease } from '../scheduler/entities/scheduler-lease.entity';
import { LifecycleEvents1764900000000 } from './migrations/1764900000000-lifecycle-events';
import { LifecycleEvent } from '../events/entities/lifecycle-event.entity';
import { TokenRestrictions1764800000000 } from './migrations/1764800000000-token-restrictions';
import { WorkspaceTokenPolicy1764800000001 } from './migrations/1764800000001-workspace-token-policy';
import { ServiceAccounts1764800000002 } from './migrations/1764800000002-service-accounts';
import { ServiceAccount } from '../workspaces/entities/service-account.entity';
import { TwoFactorRecoveryCode } from '../users/entities/two-factor-recovery-code.entity';
import { OAuthApplication } from '../oauth/entities/oauth-application.entity';
import { OAuthAuthorizationCode } from '../oauth/entities/oauth-authorization-code.entity';
import { OAuthToken } from '../oauth/entities/oauth-token.entity';
import { InstanceSecret } from '../settings/entities/instance-secret.entity';
import { Webhooks1764900000010 } from './migrations/1764900000010-webhooks';
import { TokenQuotas1765000000300 } from './migrations/1765000000300-token-quotas';
import { TokenRequestLog1765000000400 } from './migrations/1765000000400-token-request-log';
import { IssueCounts1765000000500 } from './migrations/1765000000500-issue-counts';
import { ProjectListIndex1765000000600 } from './migrations/1765000000600-project-list-index';
import { WebhookUrlPassword1765000000700 } from './migrations/1765000000700-webhook-url-password';
import { Webhook } from '../webhooks/entities/webhook.entity';
import { WebhookDelivery } from '../webhooks/entities/webhook-delivery.entity';

/** How long a SQLite statement waits for another process's write lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

export const ENTITIES = [
  User,
  Workspace,
  Membership,
  ApiToken,
  Project,
  Issue,
  InstanceSettings,
  AuditEvent,
  LegacyAuthUsageEntity,
  OAuthApplication,
  OAuthAuthorizationCode,
  OAuthToken,
  InstanceSecret,
  WebSession,
  PasswordReset,
  TwoFactorRecoveryCode,
  LifecycleEvent,
  SchedulerLease,
  ServiceAccount,
  Webhook,
  WebhookDelivery,
];

const MIGRATIONS = [
  InitialSchema1764000000000,
  LegacyAuthUsage1764100000000,
  OAuth1764200000000,
  MillisecondTimestamps1764300000000,
  TokenRateLimit1764400000000,
  TotpLastStep1764500000000,
  SessionsValidAfter1764600000000,
  WebSessions1764730000000,
  PasswordResets1764730000001,
  LoginKeyAndRecoveryCodes1764740000000,
  TokenRestrictions1764800000000,
  WorkspaceTokenPolicy1764800000001,
  ServiceAccounts1764800000002,
  LifecycleEvents1764900000000,
  Scheduler1764900000001,
  EventMail1764900000002,
  Webhooks1764900000010,
  TokenQuotas1765000000300,
  TokenRequestLog1765000000400,
  IssueCounts1765000000500,
  ProjectListIndex1765000000600,
  WebhookUrlPassword1765000000700,
];

export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: false,
  };
  if (config.database.type === 'mysql') {
    return {
      ...common,
      type: 'mysql',
      url: config.database.url,
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      // A database host that does not answer fails a new connection (and so the request, with
      // 503 database_unavailable) after 5 s instead of mysql2's 10 s; a refused one fails at once.
      connectTimeout: 5_000,
      // trace: false — mysql2 otherwise captures a stack trace on every query (a few per cent
      // of a request's CPU) only to decorate errors; TypeORM's errors carry the query anyway.
      // maxPreparedStatements: the list statements (src/database/lean-page.ts) are prepared on
      // each connection; mysql2 keeps at most this many per connection (least recently used
      // closed first), so 20 connections stay far below MariaDB's max_prepared_stmt_count
      // (16,382 for the whole server) with several instances.
      extra: { connectionLimit: 20, trace: false, maxPreparedStatements: 128 },
    };
  }
  prepareDataDir(config.dataDir);
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.database.path,
    // WAL lets readers proceed while a write commits.
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    },
  };
}
