import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AppProcess,
  callApi,
  seedToken,
  SeededToken,
  startAppProcess,
} from '../support/app-process';
import { freshDatabase, TestDatabase } from '../support/databases';
import { sleep } from '../support/net';
import { ReceivedDelivery, startReceiver, WebhookReceiver } from '../support/webhook-receiver';

// SPEC §11.4: the outbox survives restarts, and several instances on one database deliver
// each event once. Real processes (the built app), one database, a receiver on 127.0.0.1.

interface Row {
  event_id: string;
  state: string;
  attempts: number | string;
  last_status_code: number | string | null;
}

const ENV = {
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_POLL_MS: '50',
  // A retry waits 2.4–3.6 s: long enough to stop the instance before it is due.
  WEBHOOK_RETRY_BASE_MS: '3000',
};

async function createHook(app: AppProcess, seed: SeededToken, url: string): Promise<string> {
  const res = await callApi(app.baseUrl, 'POST', '/api/v1/webhooks', {
    auth: seed.userBasic,
    workspaceId: seed.workspaceId,
    body: { url, events: ['token.created', 'token.revoked'] },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

async function newToken(app: AppProcess, seed: SeededToken, name = 'hooked'): Promise<string> {
  const res = await callApi(app.baseUrl, 'POST', '/api/v1/tokens', {
    auth: seed.userBasic,
    workspaceId: seed.workspaceId,
    body: { name, scopes: ['read'], expires_in_days: 7 },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

const forToken = (tokenId: string) => (d: ReceivedDelivery) =>
  (d.body.data as { token?: { id?: string } } | undefined)?.token?.id === tokenId;

async function waitForRow(
  db: TestDatabase,
  hookId: string,
  done: (r: Row) => boolean,
  ms = 20_000,
): Promise<Row> {
  const deadline = Date.now() + ms;
  for (;;) {
    const rows = await db.query<Row>(
      'SELECT event_id, state, attempts, last_status_code FROM webhook_deliveries WHERE webhook_id = ?',
      [hookId],
    );
    const found = rows.find(done);
    if (found) {
      return found;
    }
    assert.ok(
      Date.now() < deadline,
      `no matching delivery row within ${ms} ms: ${JSON.stringify(rows)}`,
    );
    await sleep(50);
  }
}

describe('Webhook deliveries across restarts', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let receiver: WebhookReceiver;
  let a: AppProcess | undefined;
  let b: AppProcess | undefined;

  before(async () => {
    db = await freshDatabase();
    receiver = await startReceiver();
  });
  after(async () => {
    try {
      await Promise.all([a?.stop(), b?.stop()]);
    } finally {
      await receiver.close();
      await db.drop();
    }
  });

  it('a delivery pending when the instance stops is delivered by the next one', async () => {
    a = await startAppProcess({ ...db.env, ...ENV });
    const seed = await seedToken(a);
    const hookId = await createHook(a, seed, receiver.url);
    receiver.respondWith(500);
    const tokenId = await newToken(a, seed);
    const [first] = await receiver.waitFor(1, 15_000, forToken(tokenId));
    const pending = await waitForRow(db, hookId, (r) => Number(r.attempts) === 1);
    assert.equal(pending.state, 'pending');
    await a.stop();
    a = undefined;
    assert.equal(
      receiver.received.filter(forToken(tokenId)).length,
      1,
      'not retried before the stop',
    );

    b = await startAppProcess({ ...db.env, ...ENV });
    const got = await receiver.waitFor(2, 20_000, forToken(tokenId));
    assert.equal(got[1].headers['tessera-event-id'], first.headers['tessera-event-id']);
    const row = await waitForRow(db, hookId, (r) => r.state === 'delivered');
    assert.equal(Number(row.attempts), 2);
    assert.equal(Number(row.last_status_code), 200);
  });

  it('an attempt in flight at SIGTERM is finished and recorded before the process exits', async () => {
    assert.ok(b, 'the second instance runs');
    const seed = await seedToken(b);
    const hookId = await createHook(b, seed, receiver.url);
    receiver.delayMs = 1500;
    try {
      const tokenId = await newToken(b, seed);
      await receiver.waitFor(1, 15_000, forToken(tokenId)); // received, the answer still to come
      b.signal('SIGTERM');
      const exit = await b.waitForExit(20_000);
      b = undefined;
      assert.equal(exit.code, 0, JSON.stringify(exit));
      const [row] = await db.query<Row>(
        'SELECT event_id, state, attempts, last_status_code FROM webhook_deliveries WHERE webhook_id = ?',
        [hookId],
      );
      assert.deepEqual(
        { state: row.state, attempts: Number(row.attempts), status: Number(row.last_status_code) },
        { state: 'delivered', attempts: 1, status: 200 },
      );
    } finally {
      receiver.delayMs = 0;
    }
  });
});

describe('Webhook deliveries with two instances on one database', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let receiver: WebhookReceiver;
  let a: AppProcess | undefined;
  let b: AppProcess | undefined;

  before(async () => {
    db = await freshDatabase();
    receiver = await startReceiver();
    // One after the other: the first applies the migrations and creates the admin.
    a = await startAppProcess({ ...db.env, ...ENV });
    b = await startAppProcess({ ...db.env, ...ENV });
  });
  after(async () => {
    try {
      await Promise.all([a?.stop(), b?.stop()]);
    } finally {
      await receiver.close();
      await db.drop();
    }
  });

  it('delivers each event exactly once', async () => {
    assert.ok(a && b, 'both instances run');
    const seed = await seedToken(a);
    const hookId = await createHook(a, seed, receiver.url);
    const tokenIds: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const app = i % 2 === 0 ? a : b;
      const id = await newToken(app, seed, `t${i}`);
      tokenIds.push(id);
      const revoke = await callApi(app.baseUrl, 'DELETE', `/api/v1/tokens/${id}`, {
        auth: seed.userBasic,
        workspaceId: seed.workspaceId,
      });
      assert.equal(revoke.status, 204);
    }
    const ours = (d: ReceivedDelivery) => tokenIds.some((id) => forToken(id)(d));
    await receiver.waitFor(12, 30_000, ours);
    await sleep(1500); // time for a duplicate to show up, if either instance sent one
    const ids = receiver.received.filter(ours).map((d) => String(d.headers['tessera-event-id']));
    assert.equal(ids.length, 12, `12 deliveries, got ${ids.length}`);
    assert.equal(new Set(ids).size, 12, 'each event once');
    const rows = await db.query<Row>(
      'SELECT event_id, state, attempts, last_status_code FROM webhook_deliveries WHERE webhook_id = ?',
      [hookId],
    );
    assert.equal(rows.length, 12);
    assert.ok(
      rows.every((r) => r.state === 'delivered' && Number(r.attempts) === 1),
      JSON.stringify(rows),
    );
  });
});
