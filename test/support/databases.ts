import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';

/** A fresh database for one test file, which tests (and child processes) can also read directly. */
export interface TestDatabase {
  readonly kind: 'mysql' | 'sqlite';
  /** DATABASE_URL or DATA_DIR for the child's environment. */
  readonly env: Record<string, string>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * A fresh database: a new database on TEST_DATABASE_URL's server (MySQL/MariaDB), else a
 * temporary SQLite directory (which several processes may share: WAL, busy timeout).
 */
export async function freshDatabase(): Promise<TestDatabase> {
  const base = process.env.TEST_DATABASE_URL;
  if (base) {
    const server = new URL(base);
    const name = `tessera_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const connect = (database?: string) =>
      createConnection({
        host: server.hostname,
        port: Number(server.port || 3306),
        user: decodeURIComponent(server.username || 'root'),
        password: decodeURIComponent(server.password),
        database,
        timezone: 'Z',
      });
    const admin = await connect();
    await admin.query(
      `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    return {
      kind: 'mysql',
      env: { DATABASE_URL: url.toString() },
      async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
        const conn = await connect(name);
        try {
          const [rows] = await conn.query(sql, params);
          return rows as T[];
        } finally {
          await conn.end();
        }
      },
      async drop(): Promise<void> {
        const conn = await connect();
        try {
          await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
        } finally {
          await conn.end();
        }
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  return {
    kind: 'sqlite',
    env: { DATA_DIR: dir },
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      // Through TypeORM's driver: better-sqlite3 itself ships no type declarations.
      const db = new DataSource({ type: 'better-sqlite3', database: join(dir, 'tessera.sqlite') });
      await db.initialize();
      try {
        return await db.query<T[]>(sql, params);
      } finally {
        await db.destroy();
      }
    },
    drop(): Promise<void> {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
