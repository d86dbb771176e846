import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { freePort, sleep } from './net';

const SERVER_BINARIES = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];
const INSTALL_BINARIES = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];
// Small enough that a throw-away server starts in about a second and takes ~20 MB of disk.
const TUNING = [
  '--innodb-log-file-size=4M',
  '--innodb-buffer-pool-size=32M',
  '--skip-log-bin',
  '--skip-name-resolve',
];
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

/** A private MariaDB server of one test: its own data directory, port and process. */
export interface MariaDbInstance {
  readonly port: number;
  readonly running: boolean;
  /** Creates a database (utf8mb4, like production) and returns its mysql:// URL for root. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server the polite way (SIGTERM) and waits for the process to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory and waits until it answers. */
  start(): Promise<void>;
  /** Stops it if running and deletes its data directory. Safe to call more than once. */
  destroy(): Promise<void>;
}

function firstExisting(paths: string[]): string | null {
  return paths.find((p) => existsSync(p)) ?? null;
}

/** Why a private server cannot be started here, or null when it can. */
export function mariaDbUnavailableReason(): string | null {
  if (!firstExisting(SERVER_BINARIES)) {
    return `no MariaDB/MySQL server binary (${SERVER_BINARIES.join(', ')})`;
  }
  if (!firstExisting(INSTALL_BINARIES)) {
    return `no mariadb-install-db (${INSTALL_BINARIES.join(', ')})`;
  }
  return null;
}

// mariadbd refuses to run as root without --user=root.
const asUser = (): string[] => (process.getuid?.() === 0 ? ['--user=root'] : []);

// A server left behind by a crashed test run would hold its port and disk: kill it on exit.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    child.kill('SIGKILL');
  }
});

/** Installs a fresh data directory and starts a MariaDB server on a free 127.0.0.1 port. */
export async function startMariaDb(): Promise<MariaDbInstance> {
  const serverBin = firstExisting(SERVER_BINARIES);
  const installBin = firstExisting(INSTALL_BINARIES);
  if (!serverBin || !installBin) {
    throw new Error(`Cannot start a private MariaDB: ${mariaDbUnavailableReason()}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tessera-mariadb-'));
  const dataDir = join(dir, 'data');
  const errorLog = join(dir, 'error.log');
  try {
    await promisify(execFile)(
      installBin,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        // root@127.0.0.1 without a password, as on the CI server.
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...asUser(),
        ...TUNING,
      ],
      { timeout: START_TIMEOUT_MS },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  let child: ChildProcess | null = null;

  const logTail = (): string => {
    try {
      return readFileSync(errorLog, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '(no error log)';
    }
  };

  const connect = () =>
    createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 2000 });

  const waitUntilAnswering = async (proc: ChildProcess): Promise<void> => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`mariadbd exited while starting:\n${logTail()}`);
      }
      try {
        const conn = await connect();
        await conn.query('SELECT 1');
        await conn.end();
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `mariadbd did not answer on port ${port} within ${START_TIMEOUT_MS} ms ` +
              `(${(error as Error).message}):\n${logTail()}`,
          );
        }
      }
      await sleep(100);
    }
  };

  const exited = (proc: ChildProcess): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => proc.once('exit', () => resolve()));

  const start = async (): Promise<void> => {
    if (child) {
      return;
    }
    const proc = spawn(
      serverBin,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mariadbd.sock')}`,
        `--pid-file=${join(dir, 'mariadbd.pid')}`,
        `--log-error=${errorLog}`,
        ...asUser(),
        ...TUNING,
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    try {
      await waitUntilAnswering(proc);
    } catch (error) {
      await stop();
      throw error;
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) {
      return;
    }
    proc.kill('SIGTERM');
    // A server that does not shut down in time is killed; the timer must not outlive the stop.
    const force = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await exited(proc);
    } finally {
      clearTimeout(force);
    }
    child = null;
  };

  await start();
  return {
    port,
    get running() {
      return child !== null;
    },
    async createDatabase(name: string): Promise<string> {
      const conn = await connect();
      try {
        await conn.query(
          `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
        );
      } finally {
        await conn.end();
      }
      return `mysql://root@127.0.0.1:${port}/${name}`;
    },
    stop,
    start,
    async destroy(): Promise<void> {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
