// npm run load [-- --sqlite | --sqlite-only]: a bounded, mixed load against a fresh database —
// reads, issue writes, token creation pushed past the plan limit, revocations while the revoked
// tokens are still in use — then the invariants that must hold whatever the timing (see
// bench/load-checks.ts). Exits non-zero if any fails. See README "Load test".
import autocannon from 'autocannon';
import { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import {
  BASE_URL,
  createDatabase,
  dbUrl,
  dropDatabase,
  freePort,
  log,
  ROOT,
  startLogged,
  stop,
  tail,
  waitFor,
} from './lib';
import { NODE_FLAGS } from '../src/node-flags';
import { Check, runChecks } from './load-checks';
import { isActive, LoadDb, openMysql, openSqlite } from './load-db';
import { Api, LoadState, newLoadState, Space, Stats } from './load-model';
import { DRAIN_LABEL, Scenario, scenarios, toRequest } from './load-scenarios';
import { ADMIN_PASSWORD, PLAN, setup } from './load-setup';

const DURATION_S = Number(process.env.LOAD_DURATION ?? 30);
/** In the last seconds writers send harmless reads, so few writes are in flight at the stop. */
const DRAIN_S = 3;
/** autocannon's per-request timeout; a timed-out request's outcome is unknown (see checks). */
const TIMEOUT_S = 20;
/** After autocannon stops: time for the server to finish requests autocannon abandoned. */
const SETTLE_MS = 2000;
const SAMPLE_MS = 250;
/** The long-lived "doomed" tokens are revoked after this fraction of the run. */
const DOOMED_AT = 0.4;
/** Every Tessera this process started, killed on any exit (see the end of the file). */
const started = new Set<ChildProcess>();
/** What the current run must undo (stop Tessera, drop the database), last first. */
const cleanups: Array<() => Promise<void>> = [];

async function cleanUp(): Promise<void> {
  for (let undo = cleanups.pop(); undo; undo = cleanups.pop()) {
    await undo().catch((error: Error) => log(`cleanup: ${error.message}`));
  }
}

/** autocannon through its callback form, which hands back stop(). */
function fire(options: autocannon.Options): { done: Promise<autocannon.Result>; stop(): void } {
  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(options, (error: unknown, result: autocannon.Result) =>
      error
        ? reject(error instanceof Error ? error : new Error('autocannon failed'))
        : resolve(result),
    );
  });
  return { done, stop: () => instance?.stop() };
}

/** Samples active tokens per workspace and per user straight from the database. */
function startSampler(db: LoadDb, state: LoadState, spaces: Space[]): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  const ids = spaces.map((s) => s.id);
  const timer = setInterval(() => {
    if (busy) {
      return;
    }
    busy = true;
    running = db
      .tokens(ids)
      .then((rows) => {
        const now = Date.now();
        state.samples += 1;
        const perWs = new Map<string, number>();
        const perUser = new Map<string, number>();
        for (const row of rows.filter((r) => isActive(r, now))) {
          perWs.set(row.workspaceId, (perWs.get(row.workspaceId) ?? 0) + 1);
          perUser.set(row.userId, (perUser.get(row.userId) ?? 0) + 1);
        }
        for (const s of spaces) {
          const n = perWs.get(s.id) ?? 0;
          state.maxActiveDb.set(s.index, Math.max(state.maxActiveDb.get(s.index) ?? 0, n));
        }
        state.maxActivePerUser = Math.max(state.maxActivePerUser, ...perUser.values(), 0);
      })
      .catch((error: Error) => {
        state.harnessErrors.push(`sampler: ${error.message}`);
      })
      .finally(() => {
        busy = false;
      });
  }, SAMPLE_MS);
  return async () => {
    clearInterval(timer);
    await running;
  };
}

function printSummary(
  kind: string,
  all: Scenario[],
  results: autocannon.Result[],
  stats: Stats,
  checks: Check[],
): void {
  log('');
  log(`## ${kind}: ${DURATION_S} s of mixed load`);
  log('');
  log('| scenario (connections) | request | sent | answered | req/s | answers | p50 / p99 ms |');
  log('|---|---|---|---|---|---|---|');
  let total = 0;
  let drained = 0;
  all.forEach((s, i) => {
    const r = results[i];
    const labels = stats.labels(s.name);
    labels.forEach((label, j) => {
      const answers = stats.answers(s.name, label);
      const answered = [...answers.values()].reduce((a, b) => a + b, 0);
      if (label === DRAIN_LABEL) {
        drained += answered;
      } else {
        total += answered;
      }
      const shown = [...answers.entries()].map(([k, n]) => `${k} ×${n}`).join(', ');
      log(
        `| ${j === 0 ? `${s.name} (${s.connections})` : ''} | ${label} | ${stats.sentCount(s.name, label)} | ${answered} | ${(answered / r.duration).toFixed(0)} | ${shown} | ${j === 0 ? `${r.latency.p50} / ${r.latency.p99}` : ''} |`,
      );
    });
  });
  const seconds = Math.max(...results.map((r) => r.duration));
  log(`| all but drain | | | ${total} | ${(total / seconds).toFixed(0)} | | |`);
  const timeouts = results.reduce((n, r) => n + r.timeouts, 0);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  log('');
  log(
    `autocannon: ${timeouts} timeouts, ${errors} connection errors (timeouts included); drain: the last ${DRAIN_S} s writers sent GET /health/live (${drained} answers) so that no write is in flight when autocannon stops`,
  );
  log('');
  for (const c of checks) {
    log(`${c.ok ? '✓' : '✗'} ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
  }
}

async function runOn(kind: 'mysql' | 'sqlite'): Promise<boolean> {
  const run = `load${Date.now().toString(36)}`;
  const logDir = join(ROOT, 'build', 'load-logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${run}-${kind}.log`);
  let ok = false;
  try {
    const env: Record<string, string> = {
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ADMIN_PASSWORD,
      RATE_LIMIT_REQUESTS: '0',
      FAILED_AUTH_LIMIT: '0',
    };
    let open: () => Promise<LoadDb>;
    if (kind === 'mysql') {
      const admin = await createConnection({ uri: BASE_URL });
      cleanups.push(() => admin.end());
      const name = await createDatabase(admin, 'tessera_load');
      cleanups.push(() => dropDatabase(admin, name));
      env.DATABASE_URL = dbUrl(name);
      open = () => openMysql(dbUrl(name));
      log(`${kind}: database ${name}`);
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'tessera-load-'));
      cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
      env.DATA_DIR = dir;
      env.DATABASE_URL = '';
      open = () => openSqlite(join(dir, 'tessera.sqlite'));
      log(`${kind}: ${dir}/tessera.sqlite`);
    }
    const port = await freePort();
    env.PORT = String(port);
    const base = `http://127.0.0.1:${port}`;
    const child = startLogged(process.execPath, [...NODE_FLAGS, 'dist/main.js'], env, logFile);
    started.add(child);
    cleanups.push(() => stop(child));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(new Error(`Tessera exited (${signal ?? code}) during the load run`)),
      ),
    );
    exited.catch(() => undefined); // observed below through Promise.race
    await Promise.race([waitFor(`${base}/health/ready`, 60_000), exited]);
    const db = await open();
    cleanups.push(() => db.close());

    const api = new Api(base);
    const setupStart = Date.now();
    const world = await setup(api, run);
    const { spaces } = world;
    log(
      `${kind}: Tessera on ${base}; ${spaces.length} workspaces on plan ${PLAN} (limit ${spaces[0].limit}) with 2 users, 2 projects, 6 issues, 2 steady + 2 doomed tokens each, after a burst of parallel creations; ${((Date.now() - setupStart) / 1000).toFixed(1)} s. ${DURATION_S} s of load…`,
    );

    const state = newLoadState(run, world, Date.now(), DURATION_S, DRAIN_S, DOOMED_AT);
    const stats = new Stats();
    const all = scenarios(state, spaces);
    const stopSampler = startSampler(db, state, spaces);
    // One autocannon per scenario, all at once, each with its own connections.
    const runs = all.map((s) =>
      fire({
        url: base,
        connections: s.connections,
        duration: DURATION_S,
        timeout: TIMEOUT_S,
        requests: [toRequest(s, state, stats)],
      }),
    );
    // If Tessera dies mid-run, stop hammering a closed port and fail at once.
    exited.catch(() => runs.forEach((r) => r.stop()));
    const results = await Promise.race([Promise.all(runs.map((r) => r.done)), exited]);
    await stopSampler();
    await new Promise((r) => setTimeout(r, SETTLE_MS));

    const checks = await runChecks({
      api,
      db,
      state,
      world,
      stats,
      allowed: new Map(all.map((s) => [s.name, s.allowed])),
      results,
      serverAlive: () => child.exitCode === null && child.signalCode === null,
    });
    printSummary(kind, all, results, stats, checks);
    ok = checks.every((c) => c.ok);
    if (!ok) {
      log(`\nlast lines of the server log (${logFile}):\n${tail(logFile, 40)}`);
    }
    return ok;
  } catch (error) {
    log(`${kind}: load run failed: ${(error as Error).stack ?? String(error)}`);
    log(`\nlast lines of the server log (${logFile}):\n${tail(logFile, 40)}`);
    return false;
  } finally {
    await cleanUp();
    if (ok) {
      rmSync(logFile, { force: true });
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const kinds: Array<'mysql' | 'sqlite'> = args.includes('--sqlite-only')
    ? ['sqlite']
    : args.includes('--sqlite')
      ? ['mysql', 'sqlite']
      : ['mysql'];
  const t0 = Date.now();
  const outcomes: boolean[] = [];
  for (const kind of kinds) {
    outcomes.push(await runOn(kind));
  }
  const failed = kinds.filter((_, i) => !outcomes[i]);
  log(
    `\nload: ${failed.length === 0 ? 'all invariants hold' : `FAILED on ${failed.join(', ')}`} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  );
  process.exitCode = failed.length === 0 ? 0 : 1;
}

// Interrupted: stop Tessera and drop the database, then leave (a second Ctrl-C leaves at once).
let interrupted = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    if (interrupted) {
      process.exit(code);
    }
    interrupted = true;
    log(`\n${signal}: stopping Tessera and removing the database…`);
    void cleanUp().finally(() => process.exit(code));
  });
}
// Last resort if the harness itself crashes: never leave a Tessera behind.
process.on('exit', () => {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
});

main().catch((error: unknown) => {
  process.stderr.write(`load failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
