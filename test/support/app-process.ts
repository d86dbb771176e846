import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_PASSWORD, ADMIN_USERNAME, basicAuth } from './test-app';
import { freePort, sleep } from './net';
import { rawDate } from '../../src/database/columns';
export { freePort };

// The test build compiles src/ and test/ side by side: <build>/test/support -> <build>/src.
const MAIN_JS = join(__dirname, '..', '..', 'src', 'main.js');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The built application running as a child process, as in production. */
export interface AppProcess {
  readonly baseUrl: string;
  readonly port: number;
  readonly pid: number;
  readonly adminBasic: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit status, or rejects when the process is still running after `ms`. */
  waitForExit(ms: number): Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL if it lingers; for after hooks, so it never throws. */
  stop(): Promise<void>;
}

/** A timestamp column as read directly: a Date from mysql2, UTC text from SQLite. */
export function columnDate(value: Date | string | null): Date | null {
  return value === null ? null : rawDate(value);
}

// A child left behind by a crashed test run would hold its port: kill it on exit.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    child.kill('SIGKILL');
  }
});

/**
 * Starts `node <build>/src/main.js` with `env` (on top of test defaults: admin credentials,
 * quiet logs, rate limits off) on a free port, and waits until /health/ready answers 200.
 */
export async function startAppProcess(env: Record<string, string>): Promise<AppProcess> {
  if (!existsSync(MAIN_JS)) {
    throw new Error(`${MAIN_JS} is missing; the test build compiles src/ next to test/`);
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [MAIN_JS], {
    // Not the runner's environment: a DATABASE_URL or REDIS_URL of the shell must not leak in.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_USERNAME,
      ADMIN_PASSWORD,
      ADMIN_EMAIL: 'admin@example.test',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_REQUESTS: '0',
      FAILED_AUTH_LIMIT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<ExitStatus>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  let exitStatus: ExitStatus | null = null;
  void exit.then((status) => (exitStatus = status));

  const waitForExit = async (ms: number): Promise<ExitStatus> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`process ${child.pid} still running after ${ms} ms`)),
        ms,
      );
    });
    try {
      return await Promise.race([exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  const stop = async (): Promise<void> => {
    if (exitStatus) {
      return;
    }
    child.kill('SIGTERM');
    try {
      await waitForExit(STOP_TIMEOUT_MS);
    } catch {
      child.kill('SIGKILL');
      await exit;
    }
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exitStatus) {
      throw new Error(`the app exited while starting (${JSON.stringify(exitStatus)}):\n${output}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the app was not ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await sleep(100);
  }

  return {
    baseUrl,
    port,
    pid: child.pid ?? 0,
    adminBasic: basicAuth(ADMIN_USERNAME, ADMIN_PASSWORD),
    output: () => output,
    signal: (signal) => child.kill(signal),
    waitForExit,
    stop,
  };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  // JSON bodies are what the API returns; tests read fields off them.
  body: Record<string, unknown>;
}

/** One JSON API call to a child process (plain fetch: factories.ts needs an in-process app). */
export async function callApi(
  baseUrl: string,
  method: string,
  path: string,
  options: { auth?: string; workspaceId?: string; body?: object } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.auth) {
    headers.Authorization = options.auth;
  }
  if (options.workspaceId) {
    headers['X-Workspace-Id'] = options.workspaceId;
  }
  if (options.body) {
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body ? JSON.stringify(options.body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

export interface SeededToken {
  userId: string;
  userBasic: string;
  workspaceId: string;
  tokenId: string;
  bearer: string;
}

let seq = 0;

/** A user with a workspace on plan pro and a read/write/delete token there, through the API. */
export async function seedToken(app: AppProcess): Promise<SeededToken> {
  const username = `child${Date.now().toString(36)}${(seq++).toString(36)}`;
  const password = `pw-${Math.random().toString(36).slice(2)}-long`;
  const expect = (res: ApiResponse, status: number, what: string): ApiResponse => {
    if (res.status !== status) {
      throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res;
  };
  const user = expect(
    await callApi(app.baseUrl, 'POST', '/api/v1/admin/users', {
      auth: app.adminBasic,
      body: { username, email: `${username}@example.test`, password, is_admin: false },
    }),
    201,
    'create user',
  );
  const userBasic = basicAuth(username, password);
  const ws = expect(
    await callApi(app.baseUrl, 'POST', '/api/v1/workspaces', {
      auth: userBasic,
      body: { name: `ws-${username}` },
    }),
    201,
    'create workspace',
  );
  const workspaceId = ws.body.id as string;
  expect(
    await callApi(app.baseUrl, 'PATCH', `/api/v1/admin/workspaces/${workspaceId}`, {
      auth: app.adminBasic,
      body: { plan: 'pro' },
    }),
    200,
    'set plan',
  );
  const token = expect(
    await callApi(app.baseUrl, 'POST', '/api/v1/tokens', {
      auth: userBasic,
      workspaceId,
      body: { name: 'child token', scopes: ['read', 'write', 'delete'], expires_in_days: 30 },
    }),
    201,
    'create token',
  );
  return {
    userId: user.body.id as string,
    userBasic,
    workspaceId,
    tokenId: token.body.id as string,
    bearer: `Bearer ${token.body.token as string}`,
  };
}
