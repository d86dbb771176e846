// Direct database reads for the load test's invariants (bench/load.ts), on MySQL/MariaDB
// (mysql2) or on the embedded SQLite file (better-sqlite3, read-only next to the server).
import { createRequire } from 'node:module';
import { createConnection, RowDataPacket } from 'mysql2/promise';

export interface TokenRow {
  id: string;
  workspaceId: string;
  userId: string;
  name: string;
  expiresAt: Date;
  revokedAt: Date | null;
  replacedById: string | null;
}

export interface IssueRow {
  id: string;
  subject: string;
  projectId: string;
}

export interface LoadDb {
  readonly kind: 'mysql' | 'sqlite';
  tokens(workspaceIds: string[]): Promise<TokenRow[]>;
  /** Issues whose subject starts with `prefix` (no LIKE wildcards in it). */
  issuesStartingWith(prefix: string): Promise<IssueRow[]>;
  issueCount(projectId: string): Promise<number>;
  close(): Promise<void>;
}

type Row = Record<string, unknown>;

/** Counts against the plan exactly as TokensService.countActive does. */
export function isActive(token: TokenRow, now: number): boolean {
  return (
    token.replacedById === null &&
    token.expiresAt.getTime() > now &&
    (token.revokedAt === null || token.revokedAt.getTime() > now)
  );
}

export async function openMysql(uri: string): Promise<LoadDb> {
  // timezone Z: Tessera writes UTC (DATETIME(3) columns), so read it back as UTC.
  const conn = await createConnection({ uri, timezone: 'Z' });
  return withQueries(
    'mysql',
    async (sql, params) => {
      const [rows] = await conn.query<RowDataPacket[]>(sql, params);
      return rows;
    },
    () => conn.end(),
  );
}

// better-sqlite3 ships no type declarations here; these are the calls this file makes.
interface SqliteStatement {
  all(...params: unknown[]): unknown[];
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  pragma(sql: string): unknown;
  close(): void;
}
type SqliteConstructor = new (path: string, options: { readonly: boolean }) => SqliteDatabase;

export function openSqlite(path: string): Promise<LoadDb> {
  const Database = createRequire(__filename)('better-sqlite3') as SqliteConstructor;
  const db = new Database(path, { readonly: true });
  db.pragma('busy_timeout = 5000');
  return Promise.resolve(
    withQueries(
      'sqlite',
      (sql, params) => Promise.resolve(db.prepare(sql).all(...params) as Row[]),
      () => Promise.resolve(db.close()),
    ),
  );
}

function withQueries(
  kind: LoadDb['kind'],
  rows: (sql: string, params: unknown[]) => Promise<Row[]>,
  close: () => Promise<void>,
): LoadDb {
  return {
    kind,
    async tokens(workspaceIds) {
      const marks = workspaceIds.map(() => '?').join(', ');
      const found = await rows(
        `SELECT id, workspace_id, user_id, name, expires_at, revoked_at, replaced_by_id FROM api_tokens WHERE workspace_id IN (${marks})`,
        workspaceIds,
      );
      return found.map((r) => ({
        id: text(r.id),
        workspaceId: text(r.workspace_id),
        userId: text(r.user_id),
        name: text(r.name),
        expiresAt: toDate(r.expires_at),
        revokedAt: r.revoked_at === null ? null : toDate(r.revoked_at),
        replacedById: r.replaced_by_id === null ? null : text(r.replaced_by_id),
      }));
    },
    async issuesStartingWith(prefix) {
      const found = await rows('SELECT id, subject, project_id FROM issues WHERE subject LIKE ?', [
        `${prefix}%`,
      ]);
      return found.map((r) => ({
        id: text(r.id),
        subject: text(r.subject),
        projectId: text(r.project_id),
      }));
    },
    async issueCount(projectId) {
      const [row] = await rows('SELECT COUNT(*) AS n FROM issues WHERE project_id = ?', [
        projectId,
      ]);
      return Number(row.n);
    },
    close,
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

// mysql2 gives Date objects; SQLite keeps UTC text ("2025-01-31 12:00:00.000").
function toDate(value: unknown): Date {
  if (value instanceof Date) {
    return value;
  }
  const raw = text(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? raw : `${raw.replace(' ', 'T')}Z`);
}
