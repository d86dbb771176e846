#!/usr/bin/env node
// How the request log's queries behave at 10 million rows (SPEC §11.2, issue 16 point 2).
//
//   ./run build && node scripts/request-log-scale.mjs [mysql://root@127.0.0.1:3306] [rows]
//
// Creates (and at the end drops, unless KEEP=1) the database `tessera_reqlog_scale` on the
// MySQL/MariaDB server, applies the application's migrations, fills token_requests with `rows`
// (default 10,000,000) entries through the application's own writer statement
// (RequestLogStore.insertRequests: one multi-row INSERT per 1,000 rows) and token_usage_daily
// through its upsert, then times the statements the API and the retention job run, with the
// compiled code in dist/ (the very SQL the app sends). 2,000 tokens: 500 hot ones at the
// 10,000-entry cap (half the rows), 1,500 with ~3,333 each; entries spread over 30 days, in time
// order (as the writer appends them).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
require(`${root}node_modules/reflect-metadata`);
const { DataSource } = require(`${root}node_modules/typeorm`);
const { loadConfig } = require(`${root}dist/config/app-config.js`);
const { dataSourceOptions } = require(`${root}dist/database/data-source-options.js`);
const { RequestLogStore } = require(`${root}dist/tokens/request-log/request-log.store.js`);
const { RequestLogService } = require(`${root}dist/tokens/request-log/request-log.service.js`);

const server = process.argv[2] ?? 'mysql://root@127.0.0.1:3306';
const ROWS = Number(process.argv[3] ?? 10_000_000);
const TOKENS = 2000;
const HOT = Math.min(800, Math.floor(ROWS / 2 / 10_000)); // 500 at 10 M
const CAP = 10_000;
const DAYS = 30;
const CHUNK = 1000;
const DB = 'tessera_reqlog_scale';
const DAY_MS = 86_400_000;

const admin = new DataSource({ type: 'mysql', url: server, timezone: 'Z' });
await admin.initialize();
await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
await admin.query(`CREATE DATABASE ${DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
const version = (await admin.query('SELECT VERSION() AS v'))[0].v;
const pool = (await admin.query('SELECT @@innodb_buffer_pool_size AS b'))[0].b;

const url = new URL(server);
url.pathname = `/${DB}`;
const config = loadConfig({ DATABASE_URL: url.toString(), DATA_DIR: '/tmp/reqlog-scale' });
const ds = new DataSource({ ...dataSourceOptions(config), migrationsRun: false });
await ds.initialize();
await ds.runMigrations();
const store = new RequestLogStore(ds);
const service = new RequestLogService(store);

// ---- fill ---------------------------------------------------------------------------------
const tokens = Array.from({ length: TOKENS }, () => randomUUID());
const coldRows = ROWS - HOT * CAP;
const perToken = tokens.map((_, i) =>
  i < HOT ? CAP : Math.floor(coldRows / (TOKENS - HOT)) + (i - HOT < coldRows % (TOKENS - HOT) ? 1 : 0),
);
const owner = new Uint16Array(ROWS);
{
  let k = 0;
  perToken.forEach((n, t) => {
    owner.fill(t, k, k + n);
    k += n;
  });
  for (let i = ROWS - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const x = owner[i];
    owner[i] = owner[j];
    owner[j] = x;
  }
}
const end = Math.floor(Date.now() / 1000) * 1000;
const start = end - DAYS * DAY_MS + 60_000; // all inside the 30-day window
const step = (end - start) / ROWS;
const paths = ['/api/v1/projects', '/api/v1/issues', '/api/v1/me', '/api/v1/projects/7b2c/issues'];
const usage = new Map();
const t0 = performance.now();
let next = 0;
let lastReport = t0;
async function filler() {
  for (;;) {
    const from = next;
    if (from >= ROWS) return;
    next = Math.min(ROWS, from + CHUNK);
    const rows = [];
    for (let i = from; i < next; i++) {
      const tokenId = tokens[owner[i]];
      const at = Math.floor(start + i * step);
      const status = i % 23 === 0 ? 403 : i % 97 === 0 ? 404 : 200;
      rows.push({
        tokenId,
        at,
        method: i % 5 === 0 ? 'POST' : 'GET',
        path: paths[i % paths.length],
        status,
        ip: `203.0.113.${i % 250}`,
        userAgent: 'tessera-scale/1.0 (+https://example.test)',
        durationMs: 1 + (i % 40),
      });
      const key = `${tokenId} ${new Date(at).toISOString().slice(0, 10)}`;
      const c = usage.get(key) ?? { tokenId, day: key.slice(37), requests: 0, errors: 0 };
      c.requests += 1;
      c.errors += status >= 400 ? 1 : 0;
      usage.set(key, c);
    }
    await store.insertRequests(rows);
    const now = performance.now();
    if (now - lastReport > 30_000) {
      lastReport = now;
      const done = next;
      console.error(
        `  ${done.toLocaleString()} rows, ${Math.round(done / ((now - t0) / 1000)).toLocaleString()} rows/s`,
      );
    }
  }
}
await Promise.all([filler(), filler()]);
const fillSeconds = (performance.now() - t0) / 1000;
const usageRows = [...usage.values()];
for (let i = 0; i < usageRows.length; i += 500) {
  await store.addUsage(usageRows.slice(i, i + 500));
}
await ds.query('ANALYZE TABLE token_requests, token_usage_daily');
const size = (
  await ds.query(
    `SELECT ROUND((data_length + index_length) / 1048576) AS mb FROM information_schema.tables
     WHERE table_schema = ? AND table_name = 'token_requests'`,
    [DB],
  )
)[0].mb;

// ---- measure ------------------------------------------------------------------------------
const results = [];
async function time(what, fn, runs = 20) {
  const samples = [];
  let detail = '';
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    detail = (await fn(i)) ?? detail;
    samples.push(performance.now() - s);
  }
  samples.sort((a, b) => a - b);
  results.push({
    what,
    median: samples[Math.floor(samples.length / 2)],
    p95: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.95))],
    detail,
  });
}
const hot = (i) => tokens[(i * 37) % HOT];
const cold = (i) => tokens[HOT + ((i * 37) % (TOKENS - HOT))];
await time('GET /requests, first page (25), hot token', async (i) => {
  const p = await service.requests(hot(i), { offset: 0, limit: 25 });
  return `total_count ${p.total_count}`;
});
await time('GET /requests, first page (25), cold token', async (i) => {
  const p = await service.requests(cold(i), { offset: 0, limit: 25 });
  return `total_count ${p.total_count}`;
});
await time('GET /requests, deep page (offset 9,900, limit 100)', async (i) => {
  const p = await service.requests(hot(i), { offset: 9900, limit: 100 });
  return `${p.data.length} rows`;
});
await time('  of which: COUNT(*) of a hot token', async (i) => {
  const r = await ds.query('SELECT COUNT(*) AS n FROM token_requests WHERE token_id = ?', [hot(i)]);
  return `n ${r[0].n}`;
});
await time('GET /usage?days=30', async (i) => {
  const d = await service.usage(hot(i), 30);
  return `${d.length} days`;
});
await time('GET /usage?days=365', async (i) => {
  const d = await service.usage(hot(i), 365);
  return `${d.length} days`;
});
await time('last_used_ips for a page of 25 tokens (one query)', async (i) => {
  const ids = Array.from({ length: 25 }, (_, k) => tokens[(i * 25 + k) % TOKENS]);
  await store.lastUsedIps(ids);
});
await time('writer: one 500-row INSERT chunk', async (i) => {
  const rows = Array.from({ length: 500 }, (_, k) => ({
    tokenId: tokens[HOT + ((i * 500 + k) % (TOKENS - HOT))],
    at: end + i * 1000 + k,
    method: 'GET',
    path: '/api/v1/projects',
    status: 200,
    ip: '198.51.100.1',
    userAgent: 'tessera-scale/1.0',
    durationMs: 3,
  }));
  await store.insertRequests(rows);
});
await time('writer: one 500-row daily-usage upsert', async (i) => {
  const day = new Date(end).toISOString().slice(0, 10);
  await store.addUsage(
    Array.from({ length: 500 }, (_, k) => ({
      tokenId: tokens[(i * 500 + k) % TOKENS],
      day,
      requests: 3,
      errors: 1,
    })),
  );
});
// Retention: a day's worth ages out (entries before the 29-day cutoff), in 5,000-row batches.
const cutoff = new Date(start + DAY_MS);
let aged = 0;
await time(
  'retention: DELETE 5,000 rows older than the cutoff',
  async () => {
    const n = await store.deleteOlderThan(cutoff, 5000);
    aged += n;
    return `${n} rows`;
  },
  10,
);
await time(
  'retention: find tokens over the cap (GROUP BY on token_usage_daily)',
  async () => {
    const t = await store.tokensOverCap(new Date(start).toISOString().slice(0, 10), CAP, '', 200);
    return `${t.length} tokens`;
  },
  5,
);
// Push 200 hot tokens 200 entries over the cap (the retention DELETEs above took ~50 of theirs), then trim each.
for (let k = 0; k < 200; k++) {
  await store.insertRequests(
    Array.from({ length: 200 }, (_, j) => ({
      tokenId: tokens[k],
      at: end + 3_600_000 + j,
      method: 'GET',
      path: '/api/v1/me',
      status: 200,
      ip: '198.51.100.2',
      userAgent: null,
      durationMs: 1,
    })),
  );
}
await time(
  'retention: trim one token to its newest 10,000',
  async (i) => `${await store.trimToken(tokens[i], CAP, 5000)} rows`,
  200,
);

const explain = async (sql, params) =>
  (await ds.query(`EXPLAIN ${sql}`, params)).map((r) => `${r.table}:${r.key ?? '-'}(${r.type},rows≈${r.rows})`).join(' ');
const plans = {
  page: await explain(
    'SELECT id FROM token_requests WHERE token_id = ? ORDER BY at DESC, id DESC LIMIT 100 OFFSET 9900',
    [tokens[0]],
  ),
  count: await explain('SELECT COUNT(*) FROM token_requests WHERE token_id = ?', [tokens[0]]),
  retention: await explain('SELECT id FROM token_requests WHERE at < ? LIMIT 5000', [
    new Date(start + 2 * DAY_MS),
  ]),
};

console.log(`\n${version}, innodb_buffer_pool_size ${Math.round(pool / 1048576)} MB`);
console.log(
  `filled ${ROWS.toLocaleString()} rows (${TOKENS} tokens, ${HOT} at the ${CAP.toLocaleString()} cap) in ` +
    `${fillSeconds.toFixed(0)} s (${Math.round(ROWS / fillSeconds).toLocaleString()} rows/s, ` +
    `1,000-row INSERTs, 2 connections); token_requests ${size} MB with indexes`,
);
console.log('\n| query | median ms | p95 ms | note |\n|---|---:|---:|---|');
for (const r of results) {
  console.log(`| ${r.what} | ${r.median.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.detail} |`);
}
console.log('\nplans:', JSON.stringify(plans, null, 1));
await ds.destroy();
if (process.env.KEEP !== '1') {
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
}
await admin.destroy();
