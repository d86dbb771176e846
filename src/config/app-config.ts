import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isCommonPassword } from '../users/password-policy';

// The raw environment, validated once at start-up. Nothing else reads process.env.
class EnvironmentVariables {
  @IsOptional()
  @Matches(/^(mysql|mariadb):\/\/[^\s]+$/, {
    message: 'DATABASE_URL must look like mysql://user:pass@host:3306/db',
  })
  DATABASE_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  DATA_DIR?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsString()
  @MinLength(1)
  HOST?: string;

  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'PUBLIC_URL must be an http(s) URL' })
  PUBLIC_URL?: string;

  @IsOptional()
  @Matches(/^[a-z][a-z0-9]{0,6}_$/, {
    message: 'TOKEN_PREFIX must be 2-8 lowercase letters/digits ending in "_" (e.g. ts_)',
  })
  TOKEN_PREFIX?: string;

  @IsOptional()
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'REDIS_URL must look like redis://host:6379' })
  REDIS_URL?: string;

  @IsOptional()
  @Matches(/^smtps?:\/\/[^\s]+$/, {
    message: 'SMTP_URL must look like smtp://user:password@host:587 (or smtps://…:465)',
  })
  SMTP_URL?: string;

  @IsOptional()
  @IsString()
  MAIL_FROM?: string;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{2,64}$/, {
    message: 'ADMIN_USERNAME must be 2-64 letters, digits, dots, dashes or underscores',
  })
  ADMIN_USERNAME?: string;

  @IsOptional()
  @Matches(/^[^\s@]+@[^\s@]+$/, { message: 'ADMIN_EMAIL must be an e-mail address' })
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'ADMIN_PASSWORD must be at least 12 characters' })
  ADMIN_PASSWORD?: string;

  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  TOKEN_USAGE_FLUSH_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  QUOTA_FLUSH_MS?: number;

  // 0: this instance runs no scheduled jobs (another instance, with the lease, does).
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400)
  SCHEDULER_INTERVAL_SECONDS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  OUTBOX_RETENTION_DAYS?: number;

  // Per-token request log (SPEC §11.2).
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  TOKEN_REQUEST_LOG_DAYS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  TOKEN_REQUEST_LOG_MAX_PER_TOKEN?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  TOKEN_REQUEST_LOG_BUFFER?: number;

  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(60_000)
  TOKEN_REQUEST_LOG_FLUSH_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_REQUESTS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  RATE_LIMIT_WINDOW_SECONDS?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  FAILED_AUTH_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  FAILED_AUTH_WINDOW_SECONDS?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  FAILED_LOGIN_ACCOUNT_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  LEAKED_TOKEN_REPORT_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  LEAKED_TOKEN_REPORT_WINDOW_SECONDS?: number;

  @IsOptional()
  @Matches(/^(true|false|\d{1,2}|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/, {
    message:
      'TRUST_PROXY must be true, false, a hop count, or a comma-separated list of proxy IPs/CIDRs',
  })
  TRUST_PROXY?: string;

  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, {
    message:
      'SECRET_KEY must be at least 32 characters (e.g. the output of openssl rand -base64 32)',
  })
  SECRET_KEY?: string;

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'WEBHOOK_ALLOW_PRIVATE must be true or false' })
  WEBHOOK_ALLOW_PRIVATE?: string;

  @IsOptional()
  @IsInt()
  @Min(20)
  @Max(60_000)
  WEBHOOK_POLL_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  WEBHOOK_RETRY_BASE_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  WEBHOOK_MAX_ATTEMPTS?: number;

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'METRICS_ENABLED must be true or false' })
  METRICS_ENABLED?: string;

  @IsOptional()
  @Matches(/^[\x21-\x7e]{16,256}$/, {
    message:
      'METRICS_TOKEN must be 16-256 printable characters without spaces (e.g. openssl rand -hex 32)',
  })
  METRICS_TOKEN?: string;
}

export type DatabaseConfig = { type: 'mysql'; url: string } | { type: 'sqlite'; path: string };

export interface AppConfig {
  database: DatabaseConfig;
  dataDir: string;
  port: number;
  host: string;
  publicUrl: string;
  tokenPrefix: string;
  redisUrl: string | null;
  logLevel: string;
  admin: { username: string; email: string; password: string | null };
  tokenUsageFlushMs: number;
  /** How often each instance writes the quota counts it took (SPEC §11.1). */
  quotaFlushMs: number;
  /** E-mail for token notices (SPEC §11.4); null: no e-mail. */
  mail: { smtpUrl: string; from: string } | null;
  /** How often each instance offers to run the scheduled jobs (SPEC §11.4); 0: never. */
  schedulerIntervalMs: number;
  /** Days lifecycle events and finished webhook deliveries are kept. */
  outboxRetentionDays: number;
  /** The per-token request log (SPEC §11.2): retention, memory bound and flush interval. */
  requestLog: { days: number; maxPerToken: number; buffer: number; flushMs: number };
  rateLimit: RateLimitConfig;
  /** Fastify's trustProxy: which X-Forwarded-For hops to believe for the client IP. */
  trustProxy: boolean | number | string[];
  /** Browser origins allowed to call the API and OAuth token endpoints (SPEC §3); none by default. */
  corsOrigins: string[];
  /**
   * What the at-rest encryption key (TOTP secrets, the session key, webhook URL passwords) is
   * derived from; null: a key generated into DATA_DIR/secret.key on the first start.
   */
  secretKey: string | null;
  webhooks: WebhookConfig;
  /** GET /metrics (SPEC §11.7); `token`: the Bearer token it requires, null for none. */
  metrics: { enabled: boolean; token: string | null };
}

/** Webhook deliveries (SPEC §11.4); the intervals are configurable so that tests run in seconds. */
export interface WebhookConfig {
  /** Targets on loopback, private, link-local or metadata addresses are allowed (tests, labs). */
  allowPrivate: boolean;
  /** How often the delivery worker looks for new events and due deliveries. */
  pollMs: number;
  /** The first retry's delay; later ones are 5, 15, 30, 60, 120, 240… times it (with jitter). */
  retryBaseMs: number;
  /** Attempts before a delivery is marked failed. */
  maxAttempts: number;
  /** How long one attempt may take. */
  timeoutMs: number;
}

/** 0 switches a limit off. */
export interface RateLimitConfig {
  /** Requests per token (or per user for passwords) per window. */
  requests: number;
  windowMs: number;
  /** Failed authentications per client IP per window; the IP is then refused for a window. */
  failedAuth: number;
  failedAuthWindowMs: number;
  /**
   * Failed password (and second-factor) attempts per account in the same window; the account's
   * password attempts are then refused for a window.
   */
  failedLoginPerAccount: number;
  /** Leaked-token reports (POST /api/v1/tokens/revoke-leaked) per client address per window. */
  leakedReports: number;
  leakedReportsWindowMs: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const NUMERIC_KEYS = [
  'PORT',
  'TOKEN_USAGE_FLUSH_MS',
  'QUOTA_FLUSH_MS',
  'SCHEDULER_INTERVAL_SECONDS',
  'OUTBOX_RETENTION_DAYS',
  'TOKEN_REQUEST_LOG_DAYS',
  'TOKEN_REQUEST_LOG_MAX_PER_TOKEN',
  'TOKEN_REQUEST_LOG_BUFFER',
  'TOKEN_REQUEST_LOG_FLUSH_MS',
  'RATE_LIMIT_REQUESTS',
  'RATE_LIMIT_WINDOW_SECONDS',
  'FAILED_AUTH_LIMIT',
  'FAILED_AUTH_WINDOW_SECONDS',
  'FAILED_LOGIN_ACCOUNT_LIMIT',
  'LEAKED_TOKEN_REPORT_LIMIT',
  'LEAKED_TOKEN_REPORT_WINDOW_SECONDS',
  'WEBHOOK_POLL_MS',
  'WEBHOOK_RETRY_BASE_MS',
  'WEBHOOK_MAX_ATTEMPTS',
] as const;

// Secrets may come from files instead (Docker and Kubernetes secrets): DATABASE_URL_FILE=/run/…
const FILE_KEYS = [
  'DATABASE_URL',
  'ADMIN_PASSWORD',
  'REDIS_URL',
  'SECRET_KEY',
  'SMTP_URL',
  'METRICS_TOKEN',
] as const;

export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') {
      raw[key] = value;
    }
  }
  const problems: string[] = [];
  for (const key of FILE_KEYS) {
    readSecretFile(raw, key, problems);
  }
  for (const key of NUMERIC_KEYS) {
    if (raw[key] !== undefined) {
      const text = raw[key] as string;
      if (!/^\d+$/.test(text)) {
        problems.push(`${key} must be a whole number (got "${text}")`);
        delete raw[key];
      } else {
        raw[key] = Number(text);
      }
    }
  }
  const vars = plainToInstance(EnvironmentVariables, raw);
  for (const error of validateSync(vars, { whitelist: false })) {
    for (const message of Object.values(error.constraints ?? {})) {
      problems.push(message.startsWith(error.property) ? message : `${error.property}: ${message}`);
    }
  }
  const corsOrigins = parseOrigins(vars.CORS_ORIGINS, problems);
  // One problem per variable: a too-short password is reported as such above.
  if (
    vars.ADMIN_PASSWORD !== undefined &&
    vars.ADMIN_PASSWORD.length >= 12 &&
    isCommonPassword(vars.ADMIN_PASSWORD)
  ) {
    problems.push(
      'ADMIN_PASSWORD is on the list of common passwords that Tessera refuses; choose another ' +
        '(or leave it unset to have one generated)',
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }

  const dataDir = resolve(vars.DATA_DIR ?? './data');
  const port = vars.PORT ?? 3000;
  const host = vars.HOST ?? '127.0.0.1';
  return {
    database: vars.DATABASE_URL
      ? { type: 'mysql', url: vars.DATABASE_URL.replace(/^mariadb:/, 'mysql:') }
      : { type: 'sqlite', path: resolve(dataDir, 'tessera.sqlite') },
    dataDir,
    port,
    host,
    // An IPv6 literal (HOST=::) needs brackets inside a URL.
    publicUrl: (
      vars.PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    ).replace(/\/+$/, ''),
    tokenPrefix: vars.TOKEN_PREFIX ?? 'ts_',
    redisUrl: vars.REDIS_URL ?? null,
    logLevel: vars.LOG_LEVEL ?? 'info',
    admin: {
      username: vars.ADMIN_USERNAME ?? 'admin',
      email: vars.ADMIN_EMAIL ?? `${vars.ADMIN_USERNAME ?? 'admin'}@localhost`,
      password: vars.ADMIN_PASSWORD ?? null,
    },
    tokenUsageFlushMs: vars.TOKEN_USAGE_FLUSH_MS ?? 60_000,
    quotaFlushMs: vars.QUOTA_FLUSH_MS ?? 5_000,
    schedulerIntervalMs: (vars.SCHEDULER_INTERVAL_SECONDS ?? 60) * 1000,
    outboxRetentionDays: vars.OUTBOX_RETENTION_DAYS ?? 30,
    requestLog: {
      days: vars.TOKEN_REQUEST_LOG_DAYS ?? 30,
      maxPerToken: vars.TOKEN_REQUEST_LOG_MAX_PER_TOKEN ?? 10_000,
      buffer: vars.TOKEN_REQUEST_LOG_BUFFER ?? 20_000,
      flushMs: vars.TOKEN_REQUEST_LOG_FLUSH_MS ?? 1000,
    },
    mail: vars.SMTP_URL
      ? { smtpUrl: vars.SMTP_URL, from: vars.MAIL_FROM ?? 'Tessera <tessera@localhost>' }
      : null,
    rateLimit: {
      requests: vars.RATE_LIMIT_REQUESTS ?? 1200,
      windowMs: (vars.RATE_LIMIT_WINDOW_SECONDS ?? 60) * 1000,
      failedAuth: vars.FAILED_AUTH_LIMIT ?? 20,
      failedAuthWindowMs: (vars.FAILED_AUTH_WINDOW_SECONDS ?? 300) * 1000,
      failedLoginPerAccount: vars.FAILED_LOGIN_ACCOUNT_LIMIT ?? 10,
      leakedReports: vars.LEAKED_TOKEN_REPORT_LIMIT ?? 10,
      leakedReportsWindowMs: (vars.LEAKED_TOKEN_REPORT_WINDOW_SECONDS ?? 60) * 1000,
    },
    trustProxy: parseTrustProxy(vars.TRUST_PROXY),
    corsOrigins,
    secretKey: vars.SECRET_KEY ?? null,
    webhooks: {
      allowPrivate: vars.WEBHOOK_ALLOW_PRIVATE === 'true',
      pollMs: vars.WEBHOOK_POLL_MS ?? 1000,
      retryBaseMs: vars.WEBHOOK_RETRY_BASE_MS ?? 60_000,
      maxAttempts: vars.WEBHOOK_MAX_ATTEMPTS ?? 8,
      timeoutMs: 10_000,
    },
    metrics: {
      enabled: vars.METRICS_ENABLED === 'true',
      token: vars.METRICS_TOKEN ?? null,
    },
  };
}

/** KEY_FILE names a file whose content (less one trailing newline) is KEY's value. */
function readSecretFile(raw: Record<string, unknown>, key: string, problems: string[]): void {
  const file = raw[`${key}_FILE`];
  if (typeof file !== 'string') {
    return;
  }
  if (raw[key] !== undefined) {
    problems.push(`${key} and ${key}_FILE are both set; set only one of them`);
    return;
  }
  let content: string;
  try {
    content = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`${key}_FILE: cannot read ${file} (${code})`);
    return;
  }
  if (content === '') {
    problems.push(`${key}_FILE: ${file} is empty`);
    return;
  }
  raw[key] = content;
}

/** "https://app.example.com, http://localhost:5173" → origins as browsers send them. */
function parseOrigins(value: string | undefined, problems: string[]): string[] {
  const origins: string[] = [];
  for (const entry of (value ?? '').split(',').map((o) => o.trim())) {
    if (!entry) {
      continue;
    }
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {
      // reported below
    }
    // An origin is scheme://host[:port] and nothing else: a path, query or "*" is a mistake.
    if (
      !url ||
      !['http:', 'https:'].includes(url.protocol) ||
      url.pathname !== '/' ||
      url.search ||
      url.hash ||
      url.username ||
      entry.includes('*')
    ) {
      problems.push(
        `CORS_ORIGINS: "${entry}" is not an origin; list them as scheme://host[:port], comma-separated`,
      );
      continue;
    }
    origins.push(url.origin);
  }
  return origins;
}

function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  if (value === undefined || value === 'false') {
    return false;
  }
  if (value === 'true') {
    return true;
  }
  return /^\d+$/.test(value) ? Number(value) : value.split(',');
}
