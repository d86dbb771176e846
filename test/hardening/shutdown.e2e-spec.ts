import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  AppProcess,
  callApi,
  columnDate,
  seedToken,
  SeededToken,
  startAppProcess,
} from '../support/app-process';
import { freshDatabase, TestDatabase } from '../support/databases';

const EXIT_WITHIN_MS = 20_000;
// Long enough that SIGTERM surely lands while the bodies are still arriving.
const TRICKLE_MS = 1500;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Trickled {
  /** Resolves once the request head and the first half of the body are on the wire. */
  started: Promise<void>;
  response: Promise<{ status: number; body: string; at: number }>;
}

/** A POST on its own connection whose body arrives in two halves, TRICKLE_MS apart. */
function trickledPost(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: object,
): Trickled {
  const payload = Buffer.from(JSON.stringify(body));
  const half = Math.floor(payload.length / 2);
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent: false,
    headers: {
      ...headers,
      'Content-Type': 'application/json',
      'Content-Length': String(payload.length),
      Connection: 'close',
    },
  });
  const response = new Promise<{ status: number; body: string; at: number }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, at: Date.now() }));
      res.on('error', reject);
    });
  });
  const started = new Promise<void>((resolve) => {
    req.write(payload.subarray(0, half), () => resolve());
  });
  void started.then(() => setTimeout(() => req.end(payload.subarray(half)), TRICKLE_MS));
  return { started, response };
}

/** Resolves with the time a new TCP connection to `port` is first refused. */
async function firstRefusal(port: number, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) =>
        resolve(error.code === 'ECONNREFUSED'),
      );
    });
    if (refused) {
      return Date.now();
    }
    await sleep(20);
  }
  throw new Error(`new connections to port ${port} were still accepted after ${withinMs} ms`);
}

describe('SIGTERM: the built app drains, flushes and exits 0', { timeout: 120_000 }, () => {
  let db: TestDatabase | undefined;
  let app: AppProcess | undefined;
  let seeded: SeededToken;

  before(async () => {
    db = await freshDatabase();
    // Token usage is flushed once an hour here, so only the shutdown flush can write it.
    app = await startAppProcess({ ...db.env, TOKEN_USAGE_FLUSH_MS: '3600000' });
    seeded = await seedToken(app);
  });

  after(async () => {
    try {
      await app?.stop();
    } finally {
      await db?.drop();
    }
  });

  it('finishes in-flight requests, refuses new connections, writes last_used_* and exits 0', async () => {
    assert.ok(app && db, 'the app did not start');
    const [child, database] = [app, db];
    const used = await callApi(child.baseUrl, 'GET', '/api/v1/projects', {
      auth: seeded.bearer,
      workspaceId: seeded.workspaceId,
    });
    assert.equal(used.status, 200, JSON.stringify(used.body));
    const usage = () =>
      database.query<{ last_used_at: Date | string | null; last_used_ip: string | null }>(
        'SELECT last_used_at, last_used_ip FROM api_tokens WHERE id = ?',
        [seeded.tokenId],
      );
    const [pending] = await usage();
    assert.equal(pending.last_used_at, null, 'usage is batched in memory, not written per request');

    const inFlight = [1, 2, 3].map((n) =>
      trickledPost(
        child.port,
        '/api/v1/projects',
        { Authorization: seeded.bearer, 'X-Workspace-Id': seeded.workspaceId },
        { name: `In flight ${n}`, identifier: `drain${n}${Date.now().toString(36)}` },
      ),
    );
    await Promise.all(inFlight.map((r) => r.started));
    await sleep(100);

    const sigtermAt = Date.now();
    app.signal('SIGTERM');
    const refusedAt = await firstRefusal(app.port, 5000);

    const responses = await Promise.all(inFlight.map((r) => r.response));
    for (const res of responses) {
      assert.equal(res.status, 201, `an in-flight request was cut: ${res.status} ${res.body}`);
    }
    // The listener closed while those requests were still being received.
    assert.ok(
      refusedAt < Math.min(...responses.map((r) => r.at)),
      'new connections were refused before the in-flight requests completed',
    );

    const exit = await app.waitForExit(EXIT_WITHIN_MS);
    assert.deepEqual(exit, { code: 0, signal: null }, `exit status; output:\n${app.output()}`);
    // Nor any warning that usage could not be written (the DataSource closed too early).
    assert.doesNotMatch(app.output(), /error|not written|could not record/i, app.output());

    // Written by the shutdown flush, and it is the use by the drained requests: they
    // authenticated after SIGTERM, once their bodies had arrived.
    const [written] = await usage();
    const lastUsedAt = columnDate(written.last_used_at);
    assert.ok(lastUsedAt, 'last_used_at was flushed at shutdown');
    assert.ok(
      lastUsedAt.getTime() >= sigtermAt,
      `last_used_at ${lastUsedAt.toISOString()} is after SIGTERM (${new Date(sigtermAt).toISOString()})`,
    );
    assert.equal(written.last_used_ip, '127.0.0.1');
    const [{ n }] = await db.query<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM projects WHERE workspace_id = ?',
      [seeded.workspaceId],
    );
    assert.equal(Number(n), 3, 'the drained requests committed their work');
  });
});
