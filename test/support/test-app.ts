import 'reflect-metadata';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createApp } from '../../src/create-app';
import { freshDatabase, TestDatabase } from './databases';

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  dataSource: DataSource;
  /** supertest against the running app */
  http: () => request.Agent;
  adminBasic: string;
  /** Everything the request logger wrote, when started with captureLogs. */
  logs: () => string;
  close: () => Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  captureLogs?: boolean;
  /** Listen on this port instead of a random one (e.g. to match a PUBLIC_URL in env). */
  port?: number;
  /** Listen on this address instead of 127.0.0.1 (`::`: dual stack, IPv4 clients as ::ffff:). */
  host?: string;
  /** Boot on this database, which outlives the app (close() leaves it), not on a fresh one. */
  database?: TestDatabase;
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Boots the real application on a fresh database, with its real migrations. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.database ?? (await freshDatabase());
  const drop = (): Promise<void> => (options.database ? Promise.resolve() : db.drop());
  let captured = '';
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      captured += chunk.toString();
      done();
    },
  });
  const config = loadConfig({
    ADMIN_USERNAME,
    ADMIN_PASSWORD,
    ADMIN_EMAIL: 'admin@example.test',
    LOG_LEVEL: options.captureLogs ? 'info' : 'silent',
    // Suites send many requests and many bad credentials from 127.0.0.1; the rate-limit suite
    // switches the limits on explicitly.
    RATE_LIMIT_REQUESTS: '0',
    FAILED_AUTH_LIMIT: '0',
    FAILED_LOGIN_ACCOUNT_LIMIT: '0',
    LEAKED_TOKEN_REPORT_LIMIT: '0',
    // Background jobs write on their own schedule; the suites that test them switch them on.
    SCHEDULER_INTERVAL_SECONDS: '0',
    ...db.env,
    ...options.env,
  });
  const app = await createApp(config, { logStream: options.captureLogs ? logStream : undefined });
  try {
    await app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  } catch (error) {
    await app.close();
    await drop();
    throw error;
  }
  const server = app.getHttpServer();
  return {
    app,
    config,
    dataSource: app.get(DataSource),
    http: () => request.agent(server),
    adminBasic: basicAuth(ADMIN_USERNAME, ADMIN_PASSWORD),
    logs: () => captured,
    close: async () => {
      await app.close();
      await drop();
    },
  };
}
