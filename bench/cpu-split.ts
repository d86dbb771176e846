// npm run bench:cpu: where one request's CPU goes, by process (Tessera, the floor, MariaDB, the load
// generator), from /proc/<pid>/stat around an autocannon run. Small seed (one workspace, two
// tokens); TOKENS=n adds n tokens and a pass over them; NODE_FLAGS replaces the server's V8 flags;
// ONLY=floor,floor-1,plain,all-on,bad,health picks scenarios; SNAPSHOT=ms takes a heap snapshot (SIGUSR2).
import autocannon from 'autocannon';
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
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
  start,
  waitFor,
} from './lib';

/** CPU clock ticks (1/100 s) of a process: user and system together, or system only. */
const ticks = (pid: number, only?: 'system'): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return only ? Number(f[12]) : Number(f[11]) + Number(f[12]);
};

/** Peak and current RSS of a process, the current split into heap-and-malloc and mapped files. */
function memory(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string): string =>
    (Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024).toFixed(0);
  return `peak RSS ${mb('VmHWM')} MB, now ${mb('VmRSS')} MB (anonymous ${mb('RssAnon')}, files ${mb('RssFile')})`;
}

async function main(): Promise<void> {
  const admin = await createConnection({ uri: BASE_URL });
  const db = await createDatabase(admin, 'tessera_cpu');
  const env = {
    DATABASE_URL: dbUrl(db),
    PORT: '3910',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    ADMIN_PASSWORD: 'bench-admin-password',
    RATE_LIMIT_REQUESTS: '1000000',
    FAILED_AUTH_LIMIT: '0',
    METRICS_ENABLED: 'true',
    METRICS_TOKEN: 'probe-metrics-token-1234',
  };
  // The server's own flags unless NODE_FLAGS says otherwise ('' for none).
  const flags =
    process.env.NODE_FLAGS === undefined
      ? [...NODE_FLAGS]
      : process.env.NODE_FLAGS.split(' ').filter(Boolean);
  let t = start(process.execPath, [...flags, 'dist/main.js'], env);
  await waitFor('http://127.0.0.1:3910/health/ready', 60000);
  t.kill('SIGTERM');
  await new Promise((r) => t.once('exit', r));
  const conn = await createConnection({ uri: dbUrl(db) });
  const now = new Date();
  const userId = randomUUID(),
    wsId = randomUUID();
  await conn.query(
    'INSERT INTO users (id, username, login_key, email, password_hash, is_admin, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)',
    [userId, 'cpu', loginKey('cpu'), 'cpu@example.test', 'x', 0, 'active', now, now],
  );
  await conn.query(
    'INSERT INTO workspaces (id, name, plan, billing_status, token_packs, created_at, updated_at) VALUES (?,?,?,?,?,?,?)',
    [wsId, 'Cpu', 'enterprise', 'active', 0, now, now],
  );
  await conn.query(
    'INSERT INTO memberships (id, workspace_id, user_id, role, created_at, updated_at) VALUES (?,?,?,?,?,?)',
    [randomUUID(), wsId, userId, 'owner', now, now],
  );
  const projects: string[] = [];
  for (let p = 0; p < 10; p++) {
    const id = randomUUID();
    projects.push(id);
    const c = new Date(now.getTime() - (10 - p) * 1000);
    await conn.query(
      'INSERT INTO projects (id, workspace_id, name, identifier, description, created_at, updated_at) VALUES (?,?,?,?,?,?,?)',
      [id, wsId, `Project ${p}`, `p${p}`, null, c, c],
    );
  }
  const format = new TokenFormat('ts_');
  const plain = format.generate();
  await conn.query(
    'INSERT INTO api_tokens (id, user_id, workspace_id, name, token_prefix, token_hash, scopes, expires_at, created_at) VALUES (?,?,?,?,?,?,?,?,?)',
    [
      randomUUID(),
      userId,
      wsId,
      'plain',
      format.displayPrefix(plain),
      sha256Hex(plain),
      'read,write,delete',
      new Date(Date.now() + 86400e3 * 30),
      now,
    ],
  );
  const allOn = await insertAllOnToken(conn, format, {
    userId,
    workspaceId: wsId,
    projectIds: projects,
  });
  t = start(process.execPath, [...flags, 'dist/main.js'], env);
  const floor = start(process.execPath, [join(__dirname, 'floor-server.js')], {
    FLOOR_DATABASE_URL: dbUrl(db),
    FLOOR_PORT: '3911',
  });
  const floor1 = start(process.execPath, [join(__dirname, 'floor-server.js')], {
    FLOOR_DATABASE_URL: dbUrl(db),
    FLOOR_PORT: '3912',
    FLOOR_REMEMBER_TOKENS: '1',
  });
  await waitFor('http://127.0.0.1:3910/health/ready', 60000);
  /** Statements MariaDB has been sent, by every client (this one's SHOW included). */
  const questions = async (): Promise<number> => {
    const [rows] = await admin.query<Array<{ Value: string } & RowDataPacket>>(
      "SHOW GLOBAL STATUS LIKE 'Questions'",
    );
    return Number(rows[0].Value);
  };
  const mysqld = Number(execSync('pidof mariadbd').toString().trim().split(' ')[0]);
  const bad = plain.slice(0, -1) + (plain.endsWith('a') ? 'b' : 'a');
  const scenarios: Array<[string, number, string, Record<string, string>]> = [
    ['floor', 3911, '/api/v1/projects?limit=20', { Authorization: `Bearer ${plain}` }],
    ['floor-1', 3912, '/api/v1/projects?limit=20', { Authorization: `Bearer ${plain}` }],
    [
      'plain',
      3910,
      '/api/v1/projects?limit=20',
      { Authorization: `Bearer ${plain}`, 'X-Workspace-Id': wsId },
    ],
    [
      'all-on',
      3910,
      '/api/v1/projects?limit=20',
      { Authorization: `Bearer ${allOn}`, 'X-Workspace-Id': wsId },
    ],
    ['bad', 3910, '/api/v1/projects', { Authorization: `Bearer ${bad}`, 'X-Workspace-Id': wsId }],
    ['health', 3910, '/health/live', {}],
  ];
  const only = process.env.ONLY?.split(',');
  for (let rep = 0; rep < Number(process.env.REPS ?? 2); rep++) {
    for (const [name, port, path, headers] of scenarios) {
      if (only && !only.includes(name)) {
        continue;
      }
      await autocannon({
        url: `http://127.0.0.1:${port}${path}`,
        headers,
        connections: 50,
        duration: 1,
      });
      const pid = port === 3911 ? floor.pid! : port === 3912 ? floor1.pid! : t.pid!;
      const q0 = await questions();
      const b = [ticks(pid), ticks(mysqld), ticks(process.pid), ticks(pid, 'system')];
      const r = await autocannon({
        url: `http://127.0.0.1:${port}${path}`,
        headers,
        connections: 50,
        duration: Number(process.env.DUR ?? 5),
      });
      const a = [ticks(pid), ticks(mysqld), ticks(process.pid), ticks(pid, 'system')];
      const n = r.requests.total;
      const statements = ((await questions()) - q0 - 1) / n;
      const us = (i: number): string => (((a[i] - b[i]) * 10000) / n).toFixed(0).padStart(4);
      log(
        `${name.padEnd(7)} ${r.requests.average.toFixed(0).padStart(6)} req/s p99 ${String(r.latency.p99).padStart(3)}  µs/req: server ${us(0)} (kernel ${us(3)}) mariadb ${us(1)} loadgen ${us(2)}  statements/req ${statements.toFixed(2)}  status ${r['2xx']}/${r.non2xx}`,
      );
    }
  }
  const many = Number(process.env.TOKENS ?? 0);
  if (many > 0) {
    log(`tessera before the pass: ${memory(t.pid ?? 0)}`);
    const secrets: string[] = [];
    const rows: unknown[][] = [];
    for (let i = 0; i < many; i++) {
      const secret = format.generate();
      secrets.push(secret);
      rows.push([
        randomUUID(),
        userId,
        wsId,
        `t${i}`,
        format.displayPrefix(secret),
        sha256Hex(secret),
        'read,write,delete',
        new Date(Date.now() + 86400e3 * 30),
        now,
      ]);
    }
    for (let i = 0; i < rows.length; i += 2000) {
      await conn.query(
        'INSERT INTO api_tokens (id, user_id, workspace_id, name, token_prefix, token_hash, scopes, expires_at, created_at) VALUES ?',
        [rows.slice(i, i + 2000)],
      );
    }
    let next = 0;
    const r = await autocannon({
      url: 'http://127.0.0.1:3910',
      connections: 50,
      amount: many * 2,
      requests: [
        {
          method: 'GET',
          path: '/api/v1/projects?limit=20',
          setupRequest: (req) => ({
            ...req,
            headers: { Authorization: `Bearer ${secrets[next++ % many]}`, 'X-Workspace-Id': wsId },
          }),
        },
      ],
    });
    log(
      `every token: ${r.requests.total} requests, ${r.requests.average} req/s, non2xx ${r.non2xx}`,
    );
    await new Promise((res) => setTimeout(res, 3000));
    if (process.env.SNAPSHOT) {
      t.kill('SIGUSR2');
      await new Promise((res) => setTimeout(res, Number(process.env.SNAPSHOT)));
    }
  }
  const metrics = await (
    await fetch('http://127.0.0.1:3910/metrics', {
      headers: { Authorization: 'Bearer probe-metrics-token-1234' },
    })
  ).text();
  log(
    metrics
      .split('\n')
      .filter((l) =>
        /^nodejs_heap_space_size_(total|used)_bytes\{space="(new|old|large_object|code)|^nodejs_heap_size/.test(
          l,
        ),
      )
      .map((l) => l.replace(/ (\d+)$/, (_m, n) => ` ${(Number(n) / 2 ** 20).toFixed(1)} MB`))
      .join('\n'),
  );
  log(`tessera ${memory(t.pid ?? 0)}`);
  t.kill('SIGTERM');
  floor.kill('SIGTERM');
  floor1.kill('SIGTERM');
  await conn.end();
  await new Promise((r) => setTimeout(r, 1000));
  await dropDatabase(admin, db);
  await admin.end();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
