// Shared by the benchmark (bench/run.ts) and the load test (bench/load.ts): where things are,
// starting and stopping child processes, and a fresh MySQL/MariaDB database per run.
import { ChildProcess, spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Connection } from 'mysql2/promise';
import { sha256Hex, TokenFormat } from '../src/tokens/token-format';
import { freePort } from '../test/support/net';
export { freePort };

/** The repository root: compiled files run from build/<run>/bench/. */
export const ROOT = join(__dirname, '..', '..', '..');
export const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306';

export function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** BASE_URL with the database name replaced. */
export function dbUrl(name: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) {
        return;
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up`);
}

/** Starts a child in the repository root; its stdout is drained, its stderr is ours. */
export function start(command: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout?.on('data', () => undefined);
  return child;
}

/** Like start(), with stdout and stderr both written to logFile (read it with tail()). */
export function startLogged(
  command: string,
  args: string[],
  env: Record<string, string>,
  logFile: string,
): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    return spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd); // the child has its own copy
  }
}

/** The last lines of a file, for failure reports. */
export function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** SIGTERM, then SIGKILL if the child has not exited after graceMs. */
export async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Creates `<prefix>_<time>` on the server behind `admin` and returns its name. */
export async function createDatabase(admin: Connection, prefix: string): Promise<string> {
  const name = `${prefix}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return name;
}

export async function dropDatabase(admin: Connection, name: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
}

/**
 * Issue 16's "everything on" token, for the bench and bench:cpu alike: a quota (never reached:
 * the count is the cost), an allow-list of three blocks (the client's last), 9 of the 10
 * projects. Returns the secret.
 */
export async function insertAllOnToken(
  conn: Connection,
  format: TokenFormat,
  owner: { userId: string; workspaceId: string; projectIds: string[] },
): Promise<string> {
  const secret = format.generate();
  await conn.query(
    'INSERT INTO api_tokens (id, user_id, workspace_id, name, token_prefix, token_hash, scopes, expires_at, allowed_cidrs, project_ids, quota_limit, quota_period, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [
      randomUUID(),
      owner.userId,
      owner.workspaceId,
      'bench everything on',
      format.displayPrefix(secret),
      sha256Hex(secret),
      'read,write,delete',
      new Date(Date.now() + 30 * 86_400_000),
      JSON.stringify(['10.0.0.0/8', '2001:db8::/32', '127.0.0.0/8']),
      JSON.stringify(owner.projectIds.slice(1)),
      1_000_000_000,
      'month',
      new Date(),
    ],
  );
  return secret;
}
