// npm run bench: Tessera's full request path against a hand-written floor, same machine, same
// database, same run. See README "Performance" for what each figure means.
import * as argon2 from 'argon2';
import autocannon from 'autocannon';
import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Connection, createConnection } from 'mysql2/promise';
import { sha256Hex, TokenFormat } from '../src/tokens/token-format';
import { loginKey } from '../src/users/login-key';
import { NODE_FLAGS } from '../src/node-flags';
import {
  BASE_URL,
  createDatabase,
  dbUrl,
  dropDatabase,
  insertAllOnToken,
  log,
  ROOT,
  start,
  waitFor,
} from './lib';
import { issueScaleRatios, issueScaleScenarios, seedIssueScale } from './issue-scale';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP_S = 1;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CONNECTIONS = 50;
const TESSERA_PORT = 3900;
const FLOOR_PORT = 3901;

const SEED = {
  workspaces: 100,
  // 100,000 tokens: the "every token in use" pass sends a request with each of them.
  tokensPerWorkspace: 1000,
  projectsPerWorkspace: 10,
  issuesPerProject: 100,
};

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  expect: number;
  floor?: boolean;
}

interface RunResult {
  scenario: string;
  target: 'tessera' | 'floor';
  repeat: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  requests: number;
  queriesPerRequest: { select: number; insert: number; update: number };
}

async function counters(
  conn: Connection,
): Promise<{ select: number; insert: number; update: number }> {
  const [rows] = await conn.query<
    Array<{ Variable_name: string; Value: string } & import('mysql2').RowDataPacket>
  >("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select','Com_insert','Com_update')");
  const get = (name: string): number =>
    Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0);
  return { select: get('Com_select'), insert: get('Com_insert'), update: get('Com_update') };
}

/** The process's resident set now, in MB. */
function currentRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Every seeded token with its workspace, for the pass that uses each of them. */
const everyToken: Array<{ secret: string; workspaceId: string }> = [];

async function seed(conn: Connection, format: TokenFormat): Promise<Record<string, string>> {
  const now = new Date();
  const later = new Date(Date.now() + 300 * 86_400_000);
  const passwordHash = await argon2.hash('bench-password-1', { type: argon2.argon2id });
  const legacyHash = await argon2.hash('bench-legacy-1', { type: argon2.argon2id });
  const users: unknown[][] = [];
  const workspaces: unknown[][] = [];
  const memberships: unknown[][] = [];
  const tokens: unknown[][] = [];
  const projects: unknown[][] = [];
  const issues: unknown[][] = [];
  const first: Record<string, string> = {};
  const firstProjects: string[] = [];
  everyToken.length = 0;
  for (let w = 0; w < SEED.workspaces; w++) {
    const userId = randomUUID();
    const wsId = randomUUID();
    users.push([
      userId,
      `bench${w}`,
      loginKey(`bench${w}`),
      `bench${w}@example.test`,
      passwordHash,
      0,
      'active',
      w === 0 ? legacyHash : null,
      now,
      now,
    ]);
    workspaces.push([wsId, `Bench ${w}`, 'enterprise', 'active', 0, now, now]);
    memberships.push([randomUUID(), wsId, userId, 'owner', now, now]);
    for (let k = 0; k < SEED.tokensPerWorkspace; k++) {
      const secret = format.generate();
      tokens.push([
        randomUUID(),
        userId,
        wsId,
        `bench ${k}`,
        format.displayPrefix(secret),
        sha256Hex(secret),
        'read,write,delete',
        later,
        null,
        null,
        null,
        null,
        now,
      ]);
      if (w === 0 && k === 0) {
        first.token = secret;
      }
      everyToken.push({ secret, workspaceId: wsId });
    }
    for (let p = 0; p < SEED.projectsPerWorkspace; p++) {
      const projectId = randomUUID();
      const created = new Date(now.getTime() - (SEED.projectsPerWorkspace - p) * 1000);
      projects.push([projectId, wsId, `Project ${p}`, `p${p}`, null, created, created]);
      if (w === 0 && p === 0) {
        first.projectId = projectId;
      }
      if (w === 0) {
        firstProjects.push(projectId);
      }
      for (let i = 0; i < SEED.issuesPerProject; i++) {
        issues.push([
          randomUUID(),
          wsId,
          projectId,
          `Issue ${i}`,
          null,
          'open',
          'normal',
          null,
          userId,
          created,
          created,
        ]);
      }
    }
    if (w === 0) {
      first.workspaceId = wsId;
      first.userId = userId;
    }
  }
  const insert = async (sql: string, rows: unknown[][]): Promise<void> => {
    for (let i = 0; i < rows.length; i += 2000) {
      await conn.query(sql, [rows.slice(i, i + 2000)]);
    }
  };
  await insert(
    'INSERT INTO users (id, username, login_key, email, password_hash, is_admin, status, legacy_api_password_hash, created_at, updated_at) VALUES ?',
    users,
  );
  await insert(
    'INSERT INTO workspaces (id, name, plan, billing_status, token_packs, created_at, updated_at) VALUES ?',
    workspaces,
  );
  await insert(
    'INSERT INTO memberships (id, workspace_id, user_id, role, created_at, updated_at) VALUES ?',
    memberships,
  );
  await insert(
    'INSERT INTO api_tokens (id, user_id, workspace_id, name, token_prefix, token_hash, scopes, expires_at, last_used_at, last_used_ip, revoked_at, replaced_by_id, created_at) VALUES ?',
    tokens,
  );
  await insert(
    'INSERT INTO projects (id, workspace_id, name, identifier, description, created_at, updated_at) VALUES ?',
    projects,
  );
  await insert(
    'INSERT INTO issues (id, workspace_id, project_id, subject, description, status, priority, assignee_id, author_id, created_at, updated_at) VALUES ?',
    issues,
  );

  // A token of the first workspace restricted to 9 of its 10 projects and to three address
  // blocks (the client's last), for the restricted scenario (SPEC §11.1).
  const restricted = format.generate();
  await conn.query(
    'INSERT INTO api_tokens (id, user_id, workspace_id, name, token_prefix, token_hash, scopes, expires_at, allowed_cidrs, project_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [
      randomUUID(),
      first.userId,
      first.workspaceId,
      'bench restricted',
      format.displayPrefix(restricted),
      sha256Hex(restricted),
      'read,write,delete',
      new Date(Date.now() + 30 * 86_400_000),
      JSON.stringify(['10.0.0.0/8', '2001:db8::/32', '127.0.0.0/8']),
      JSON.stringify(firstProjects.slice(1)),
      now,
    ],
  );
  first.restrictedToken = restricted;

  // Everything on at once (issue 16); request logging and metrics are on for the whole run.
  first.allOnToken = await insertAllOnToken(conn, format, {
    userId: first.userId,
    workspaceId: first.workspaceId,
    projectIds: firstProjects,
  });

  // An OAuth application and an access token for the oauth scenario.
  const appId = randomUUID();
  await conn.query(
    'INSERT INTO oauth_applications (id, name, client_id, client_secret_hash, redirect_uris, scopes, confidential, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [
      appId,
      'Bench app',
      'tsc_bench000000000000000000',
      null,
      '["http://localhost/cb"]',
      'read,write',
      0,
      null,
      now,
    ],
  );
  first.oauthToken = `tso_${'b'.repeat(40)}`;
  await conn.query(
    'INSERT INTO oauth_tokens (id, access_token_hash, refresh_token_hash, application_id, user_id, scopes, family_id, access_expires_at, refresh_expires_at, refresh_used_at, revoked_at, created_at) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?)',
    [
      randomUUID(),
      sha256Hex(first.oauthToken),
      appId,
      first.userId,
      'read,write',
      randomUUID(),
      new Date(Date.now() + 7200_000),
      now,
    ],
  );
  return first;
}

async function run(
  scenario: Scenario,
  port: number,
  durationS: number,
): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}${scenario.path}`,
    method: scenario.method,
    headers: scenario.headers,
    body: scenario.body,
    connections: CONNECTIONS,
    duration: durationS,
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const admin = await createConnection({ uri: BASE_URL });
  const dbName = await createDatabase(admin, 'tessera_bench');
  const children: ChildProcess[] = [];
  const stopAll = (): void => {
    for (const child of children) {
      child.kill('SIGTERM');
    }
  };
  process.on('SIGINT', () => {
    stopAll();
    process.exit(130);
  });
  try {
    log(`database ${dbName}; starting Tessera (production build) to run the migrations`);
    const env = {
      DATABASE_URL: dbUrl(dbName),
      PORT: String(TESSERA_PORT),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ADMIN_PASSWORD: 'bench-admin-password',
      // The request limit stays on (its cost is part of every request) but high enough for one
      // token's whole run; the failed-authentication limit is off, or the 401 scenarios would
      // measure 429s.
      RATE_LIMIT_REQUESTS: '1000000',
      FAILED_AUTH_LIMIT: '0',
      // Everything that adds work per request is on (issue 16).
      METRICS_ENABLED: 'true',
    };
    let tessera = start(process.execPath, [...NODE_FLAGS, 'dist/main.js'], env);
    children.push(tessera);
    await waitFor(`http://127.0.0.1:${TESSERA_PORT}/health/ready`, 60_000);
    tessera.kill('SIGTERM');
    await new Promise((r) => tessera.once('exit', r));

    const conn = await createConnection({ uri: dbUrl(dbName) });
    const seedStart = Date.now();
    const first = await seed(conn, new TokenFormat('ts_'));
    const scale = await seedIssueScale(conn, first.workspaceId, first.userId);
    log(
      `seeded ${SEED.workspaces} workspaces, ${SEED.workspaces * SEED.tokensPerWorkspace} tokens, ${SEED.workspaces * SEED.projectsPerWorkspace} projects, ${SEED.workspaces * SEED.projectsPerWorkspace * SEED.issuesPerProject} issues in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`,
    );

    tessera = start(process.execPath, [...NODE_FLAGS, 'dist/main.js'], env);
    children.push(tessera);
    const floor = start(process.execPath, [join(__dirname, 'floor-server.js')], {
      FLOOR_DATABASE_URL: dbUrl(dbName),
      FLOOR_PORT: String(FLOOR_PORT),
    });
    children.push(floor);
    await waitFor(`http://127.0.0.1:${TESSERA_PORT}/health/ready`, 60_000);
    await new Promise((r) => setTimeout(r, 500));

    const ws = first.workspaceId;
    const bearer = { Authorization: `Bearer ${first.token}`, 'X-Workspace-Id': ws };
    const basic = (user: string, pass: string): string =>
      `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    const badChecksum = first.token.slice(0, -1) + (first.token.endsWith('a') ? 'b' : 'a');
    const unknown = new TokenFormat('ts_').generate();
    const allScenarios: Scenario[] = [
      {
        name: 'bearer GET /projects (20 rows)',
        method: 'GET',
        path: '/api/v1/projects?limit=20',
        headers: bearer,
        expect: 200,
        floor: true,
      },
      {
        // The same request with everything on: quota, allow-list, 9 of 10 projects, request
        // log, metrics (issue 16's target: ≥ 1.2× the floor).
        name: 'all-on bearer GET /projects (quota + allow-list + 9 projects + log + metrics)',
        method: 'GET',
        path: '/api/v1/projects?limit=20',
        headers: { Authorization: `Bearer ${first.allOnToken}`, 'X-Workspace-Id': ws },
        expect: 200,
        floor: true,
      },
      {
        // Same route and workspace; 9 of the 10 projects, an allow-list of three blocks.
        name: 'restricted bearer GET /projects (allow-list + 9 projects)',
        method: 'GET',
        path: '/api/v1/projects?limit=20',
        headers: { Authorization: `Bearer ${first.restrictedToken}`, 'X-Workspace-Id': ws },
        expect: 200,
      },
      {
        name: 'X-API-Key GET /issues?project_id (20 rows)',
        method: 'GET',
        path: `/api/v1/issues?project_id=${first.projectId}&limit=20`,
        headers: { 'X-API-Key': first.token, 'X-Workspace-Id': ws },
        expect: 200,
      },
      {
        name: 'bearer POST /projects/:id/issues',
        method: 'POST',
        path: `/api/v1/projects/${first.projectId}/issues`,
        headers: { ...bearer, 'content-type': 'application/json' },
        body: JSON.stringify({ subject: 'Bench issue', priority: 'high' }),
        expect: 201,
      },
      {
        name: 'Basic token GET /projects',
        method: 'GET',
        path: '/api/v1/projects?limit=20',
        headers: { Authorization: basic('any', first.token), 'X-Workspace-Id': ws },
        expect: 200,
      },
      {
        name: 'OAuth token GET /projects',
        method: 'GET',
        path: '/api/v1/projects?limit=20',
        headers: { Authorization: `Bearer ${first.oauthToken}`, 'X-Workspace-Id': ws },
        expect: 200,
      },
      {
        name: 'Basic password GET /projects',
        method: 'GET',
        path: '/api/v1/projects?limit=20',
        headers: { Authorization: basic('bench0', 'bench-password-1'), 'X-Workspace-Id': ws },
        expect: 200,
      },
      {
        name: 'legacy X-AUTH GET /projects',
        method: 'GET',
        path: '/api/v1/projects?limit=20',
        headers: {
          'X-AUTH-USER': 'bench0',
          'X-AUTH-TOKEN': 'bench-legacy-1',
          'X-Workspace-Id': ws,
        },
        expect: 200,
      },
      {
        name: 'bad checksum (401)',
        method: 'GET',
        path: '/api/v1/projects',
        headers: { Authorization: `Bearer ${badChecksum}`, 'X-Workspace-Id': ws },
        expect: 401,
      },
      {
        name: 'unknown well-formed token (401)',
        method: 'GET',
        path: '/api/v1/projects',
        headers: { Authorization: `Bearer ${unknown}`, 'X-Workspace-Id': ws },
        expect: 401,
      },
      { name: 'GET /health/live', method: 'GET', path: '/health/live', headers: {}, expect: 200 },
      ...issueScaleScenarios(scale, bearer),
    ];
    // BENCH_ONLY=<substring>: only the scenarios whose name contains it (while developing).
    const only = process.env.BENCH_ONLY;
    const scenarios = only ? allScenarios.filter((s) => s.name.includes(only)) : allScenarios;

    // Sanity: every scenario answers what it should before we measure it.
    for (const s of scenarios) {
      const res = await fetch(`http://127.0.0.1:${TESSERA_PORT}${s.path}`, {
        method: s.method,
        headers: s.headers,
        body: s.body,
      });
      if (res.status !== s.expect) {
        throw new Error(`${s.name}: expected ${s.expect}, got ${res.status} ${await res.text()}`);
      }
    }

    const results: RunResult[] = [];
    let peak = 0;
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      for (const s of scenarios) {
        const targets: Array<['tessera' | 'floor', number]> = s.floor
          ? [
              ['tessera', TESSERA_PORT],
              ['floor', FLOOR_PORT],
            ]
          : [['tessera', TESSERA_PORT]];
        // Alternate which goes first, so neither always gets the warmer machine.
        if (s.floor && repeat % 2 === 0) {
          targets.reverse();
        }
        for (const [target, port] of targets) {
          await run(s, port, WARMUP_S);
          const before = await counters(conn);
          const result = await run(s, port, DURATION_S);
          const after = await counters(conn);
          const requests = result.requests.total || 1;
          const expectedOk = s.expect >= 400 ? result.non2xx : result['2xx'];
          results.push({
            scenario: s.name,
            target,
            repeat,
            rps: result.requests.average,
            p50: result.latency.p50,
            p99: result.latency.p99,
            non2xx: s.expect >= 400 ? result.requests.total - expectedOk : result.non2xx,
            requests: result.requests.total,
            queriesPerRequest: {
              select: (after.select - before.select) / requests,
              insert: (after.insert - before.insert) / requests,
              update: (after.update - before.update) / requests,
            },
          });
          if (target === 'tessera') {
            peak = Math.max(peak, peakRss(tessera.pid ?? 0));
          }
          const rss = target === 'tessera' ? `, peak RSS so far ${peak.toFixed(0)} MB` : '';
          log(
            `  [${repeat}/${REPEATS}] ${target.padEnd(7)} ${s.name}: ${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms${rss}`,
          );
        }
      }
    }

    // Every token in use (issue 16: peak RSS under 300 MB with 100,000 active tokens): each
    // seeded token sends requests, round-robin over all of them, twice, so that every one is
    // verified, cached, rate-counted and recorded as used.
    let next = 0;
    const everyBefore = await counters(conn);
    const every = await autocannon({
      url: `http://127.0.0.1:${TESSERA_PORT}`,
      connections: CONNECTIONS,
      amount: everyToken.length * 2,
      requests: [
        {
          method: 'GET',
          path: '/api/v1/projects?limit=20',
          setupRequest: (req) => {
            const token = everyToken[next++ % everyToken.length];
            return {
              ...req,
              headers: {
                Authorization: `Bearer ${token.secret}`,
                'X-Workspace-Id': token.workspaceId,
              },
            };
          },
        },
      ],
    });
    const everyAfter = await counters(conn);
    peak = Math.max(peak, peakRss(tessera.pid ?? 0));
    const everyRequests = every.requests.total || 1;
    const everyTokens = {
      tokens: everyToken.length,
      requests: every.requests.total,
      rps: every.requests.average,
      p99_ms: every.latency.p99,
      non2xx: every.non2xx,
      rss_after_mb: currentRss(tessera.pid ?? 0),
      peak_rss_mb: peak,
      writes_per_request:
        (everyAfter.insert - everyBefore.insert + everyAfter.update - everyBefore.update) /
        everyRequests,
    };
    log(
      `every token in use: ${everyTokens.requests} requests over ${everyTokens.tokens} tokens, ${everyTokens.rps.toFixed(0)} req/s, p99 ${everyTokens.p99_ms} ms, non-2xx ${everyTokens.non2xx}, RSS after ${everyTokens.rss_after_mb.toFixed(0)} MB, peak so far ${peak.toFixed(0)} MB, writes/req ${everyTokens.writes_per_request.toFixed(4)}`,
    );

    const summary = scenarios.flatMap((s) =>
      (['tessera', 'floor'] as const)
        .filter((target) => target === 'tessera' || s.floor)
        .map((target) => {
          const runs = results.filter((r) => r.scenario === s.name && r.target === target);
          const rps = runs.map((r) => r.rps).sort((a, b) => a - b);
          const ratios = runs.map((r) => {
            const floorRun = results.find(
              (f) =>
                f.scenario === results.find((x) => x.scenario === s.name)?.scenario &&
                f.target === 'floor' &&
                f.repeat === r.repeat,
            );
            return floorRun ? r.rps / floorRun.rps : NaN;
          });
          const median = (xs: number[]): number =>
            [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
          return {
            scenario: s.name,
            target,
            rps_median: median(rps),
            rps_min: rps[0],
            rps_max: rps[rps.length - 1],
            p50_ms: median(runs.map((r) => r.p50)),
            p99_ms: median(runs.map((r) => r.p99)),
            non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
            ratio_to_floor: Number.isNaN(median(ratios)) ? null : median(ratios),
            selects_per_request: median(runs.map((r) => r.queriesPerRequest.select)),
            writes_per_request: median(
              runs.map((r) => r.queriesPerRequest.insert + r.queriesPerRequest.update),
            ),
          };
        }),
    );
    const health = summary.find((r) => r.scenario === 'GET /health/live');
    const bearerRow = summary.find(
      (r) => r.scenario.startsWith('bearer GET') && r.target === 'tessera',
    );
    log('');
    log(
      '| scenario | target | req/s median (min–max) | p50 ms | p99 ms | non-2xx* | ratio to floor | selects/req | writes/req |',
    );
    log('|---|---|---|---|---|---|---|---|---|');
    for (const r of summary) {
      log(
        `| ${r.scenario} | ${r.target} | ${r.rps_median.toFixed(0)} (${r.rps_min.toFixed(0)}–${r.rps_max.toFixed(0)}) | ${r.p50_ms} | ${r.p99_ms} | ${r.non2xx} | ${r.ratio_to_floor === null ? '' : `${r.ratio_to_floor.toFixed(2)}×`} | ${r.selects_per_request.toFixed(2)} | ${r.writes_per_request.toFixed(3)} |`,
      );
    }
    log('');
    log(`* non-2xx counts unexpected answers: for the 401 scenarios, anything but a refusal.`);
    const badRow = summary.find((r) => r.scenario.startsWith('bad checksum'));
    const pwRow = summary.find((r) => r.scenario.startsWith('Basic password'));
    const legacyRow = summary.find((r) => r.scenario.startsWith('legacy'));
    const restrictedRow = summary.find((r) => r.scenario.startsWith('restricted bearer'));
    const allOnRow = summary.find(
      (r) => r.scenario.startsWith('all-on bearer') && r.target === 'tessera',
    );
    const allOnFloor = summary.find(
      (r) => r.scenario.startsWith('all-on bearer') && r.target === 'floor',
    );
    const out = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      settings: {
        connections: CONNECTIONS,
        duration_s: DURATION_S,
        warmup_s: WARMUP_S,
        repeats: REPEATS,
        seed: SEED,
      },
      peak_rss_mb: peak,
      every_token_in_use: everyTokens,
      targets: {
        bearer_vs_floor: bearerRow?.ratio_to_floor ?? null,
        all_on_vs_floor: allOnRow?.ratio_to_floor ?? null,
        all_on_p99_vs_floor:
          allOnRow && allOnFloor ? { tessera: allOnRow.p99_ms, floor: allOnFloor.p99_ms } : null,
        peak_rss_under_300_mb: peak < 300,
        bad_checksum_vs_health: badRow && health ? badRow.rps_median / health.rps_median : null,
        basic_password_vs_bearer:
          pwRow && bearerRow ? pwRow.rps_median / bearerRow.rps_median : null,
        restricted_vs_bearer:
          restrictedRow && bearerRow ? restrictedRow.rps_median / bearerRow.rps_median : null,
        legacy_vs_bearer:
          legacyRow && bearerRow ? legacyRow.rps_median / bearerRow.rps_median : null,
        ...issueScaleRatios(summary),
      },
      summary,
      runs: results,
      duration_s: (Date.now() - started) / 1000,
    };
    writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
    const scaleRatios = issueScaleRatios(summary);
    for (const [name, ratio] of Object.entries(scaleRatios)) {
      if (ratio !== null) {
        log(`${name.replace(/_/g, ' ').replace('200k vs 1k', '200k vs 1k:')} ${ratio.toFixed(2)}x`);
      }
    }
    log(`peak RSS of Tessera: ${peak.toFixed(0)} MB; targets: ${JSON.stringify(out.targets)}`);
    log(`wrote bench/results.json in ${out.duration_s.toFixed(0)} s`);
    await conn.end();
  } finally {
    stopAll();
    await new Promise((r) => setTimeout(r, 500));
    await dropDatabase(admin, dbName);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
