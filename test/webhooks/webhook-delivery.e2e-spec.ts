import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebhookMetrics } from '../../src/webhooks/webhook-metrics';
import { adminAuditEvents } from '../credentials/credential-helpers';
import {
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { sleep } from '../support/net';
import { startTestApp, TestApp } from '../support/test-app';
import { ReceivedDelivery, startReceiver, WebhookReceiver } from '../support/webhook-receiver';

// SPEC §11.4: deliveries to a real HTTP receiver on 127.0.0.1 (hence WEBHOOK_ALLOW_PRIVATE),
// with retry intervals shortened so that the suite runs in seconds.

/** The README's verification snippet, in the receiver's shoes. */
function verify(secret: string, header: string, rawBody: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300) {
    return false;
  }
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  const given = String(parts.v1 ?? '');
  return (
    given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
  );
}

interface DeliveryBody {
  id: string;
  event_id: string;
  event_type: string;
  state: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
}

describe('Webhook deliveries (SPEC §11.4)', { timeout: 120_000 }, () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;
  let receiver: WebhookReceiver;

  const createHook = async (
    url: string,
    events: string[],
    extra: object = {},
  ): Promise<{ id: string; secret: string }> => {
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ url, events, ...extra });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.id as string, secret: res.body.secret as string };
  };
  const deliveries = async (hookId: string): Promise<DeliveryBody[]> => {
    const res = await t
      .http()
      .get(`/api/v1/webhooks/${hookId}/deliveries`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data as DeliveryBody[];
  };
  const waitForDelivery = async (
    hookId: string,
    done: (d: DeliveryBody) => boolean,
    ms = 15_000,
  ): Promise<DeliveryBody> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = (await deliveries(hookId)).find(done);
      if (found) {
        return found;
      }
      assert.ok(Date.now() < deadline, `no matching delivery within ${ms} ms`);
      await sleep(50);
    }
  };
  const forToken = (tokenId: string) => (d: ReceivedDelivery) =>
    (d.body.data as { token?: { id?: string } } | undefined)?.token?.id === tokenId;

  before(async () => {
    t = await startTestApp({
      env: {
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_POLL_MS: '50',
        WEBHOOK_RETRY_BASE_MS: '200',
        WEBHOOK_MAX_ATTEMPTS: '3',
      },
    });
    owner = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'pro' });
    receiver = await startReceiver();
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  it('POSTs the event, signed, with its headers; only the subscribed types', async () => {
    const hook = await createHook(receiver.url, ['token.created']);
    const token = await createToken(t, owner, ws);
    const [got] = await receiver.waitFor(1, 15_000, forToken(token.id));
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['tessera-event'], 'token.created');
    assert.deepEqual(Object.keys(got.body).sort(), [
      'created_at',
      'data',
      'id',
      'type',
      'workspace_id',
    ]);
    assert.equal(got.headers['tessera-event-id'], got.body.id);
    assert.equal(got.body.type, 'token.created');
    assert.equal(got.body.workspace_id, ws.id);
    assert.ok(!Number.isNaN(Date.parse(got.body.created_at as string)));
    assert.ok(!got.rawBody.includes(token.token), 'the token secret is never sent');
    const signature = String(got.headers['tessera-signature']);
    assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(verify(hook.secret, signature, got.rawBody), true, 'signature verifies');
    assert.equal(verify(`${hook.secret}x`, signature, got.rawBody), false);
    assert.equal(verify(hook.secret, signature, `${got.rawBody} `), false);

    const delivered = await waitForDelivery(hook.id, (d) => d.delivered_at !== null);
    assert.deepEqual(
      { ...delivered, id: undefined, last_attempt_at: undefined, delivered_at: undefined },
      {
        id: undefined,
        event_id: got.body.id,
        event_type: 'token.created',
        state: 'delivered',
        attempts: 1,
        last_status_code: 200,
        last_error: null,
        last_attempt_at: undefined,
        next_attempt_at: null,
        delivered_at: undefined,
        created_at: (delivered as unknown as { created_at: string }).created_at,
      },
    );

    // token.revoked is not subscribed: revoking sends nothing more to this hook.
    const before = receiver.received.length;
    const revoke = await t
      .http()
      .delete(`/api/v1/tokens/${token.id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(revoke.status, 204);
    await sleep(600);
    assert.equal(receiver.received.length, before);
    assert.equal((await deliveries(hook.id)).length, 1);
    await deleteHook(hook.id);
  });

  it('sends a URL’s user-info as Basic credentials, and never shows its password (SPEC §1)', async () => {
    const withUser = (password: string): string => {
      const url = new URL(receiver.url);
      url.username = 'hook-user';
      url.password = password;
      return url.toString();
    };
    const shown = (() => {
      const url = new URL(receiver.url);
      return `${url.protocol}//hook-user:***@${url.host}${url.pathname}`;
    })();
    const password = 'pw-1-Kq8vZr2';
    const created = await t
      .http()
      .post('/api/v1/webhooks')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ url: withUser(password), events: ['token.created'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.url, shown);
    const id = created.body.id as string;
    const one = await t
      .http()
      .get(`/api/v1/webhooks/${id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(one.status, 200);
    assert.equal(one.body.url, shown);
    const list = await t
      .http()
      .get('/api/v1/webhooks')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(list.status, 200);
    const listed = (list.body.data as Array<{ id: string; url: string }>).find((w) => w.id === id);
    assert.equal(listed?.url, shown);
    assert.ok(!JSON.stringify(list.body).includes(password), 'never in the list');

    // Deliveries still carry the credentials, as Basic.
    const token = await createToken(t, owner, ws);
    const [got] = await receiver.waitFor(1, 15_000, forToken(token.id));
    assert.equal(
      got.headers.authorization,
      `Basic ${Buffer.from(`hook-user:${password}`).toString('base64')}`,
    );
    const delivered = await waitForDelivery(id, (d) => d.delivered_at !== null);
    assert.equal(delivered.last_status_code, 200);

    // A new password alone is a change; neither appears in the answer or the audit events.
    const next = 'pw-2-Yt4mWc9';
    const patched = await t
      .http()
      .patch(`/api/v1/webhooks/${id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ url: withUser(next) });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.url, shown);
    const [row] = await t.dataSource.query<Array<{ url: string; url_password: string }>>(
      'SELECT url, url_password FROM webhooks WHERE id = ?',
      [id],
    );
    assert.equal(row.url, withUser(''), 'stored without the password');
    assert.ok(!row.url_password.includes(next), 'the password is stored sealed');
    await deleteHook(id);
    const audit = (
      await Promise.all(
        ['webhook.created', 'webhook.updated', 'webhook.deleted'].map((action) =>
          adminAuditEvents(t, { action }),
        ),
      )
    )
      .flat()
      .filter((e) => e.target_id === id);
    assert.deepEqual(audit.map((e) => e.action).sort(), [
      'webhook.created',
      'webhook.deleted',
      'webhook.updated',
    ]);
    const raw = JSON.stringify(audit);
    assert.ok(!raw.includes(password) && !raw.includes(next), raw);
    assert.ok(raw.includes(shown), 'the audit events show the URL redacted');
  });

  it('retries a 500 and delivers with the same event id; counts the outcomes', async () => {
    const metrics = t.app.get(WebhookMetrics);
    const start = metrics.snapshot();
    const hook = await createHook(receiver.url, ['token.created']);
    receiver.respondWith(500);
    const token = await createToken(t, owner, ws);
    const got = await receiver.waitFor(2, 15_000, forToken(token.id));
    assert.equal(got[0].headers['tessera-event-id'], got[1].headers['tessera-event-id']);
    assert.equal(got[0].body.id, got[1].body.id);
    assert.ok(got[1].at - got[0].at >= 150, 'the retry waited (back-off)');
    const delivered = await waitForDelivery(hook.id, (d) => d.state === 'delivered');
    assert.equal(delivered.attempts, 2);
    assert.equal(delivered.last_status_code, 200);
    const now = metrics.snapshot();
    assert.ok(now.retried >= start.retried + 1, JSON.stringify(now));
    assert.ok(now.delivered >= start.delivered + 1, JSON.stringify(now));
    await deleteHook(hook.id);
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS (failed); redeliver (202) sends it again now', async () => {
    const failing = await startReceiver();
    try {
      failing.defaultStatus = 503;
      const hook = await createHook(failing.url, ['token.created']);
      const token = await createToken(t, owner, ws);
      const failed = await waitForDelivery(hook.id, (d) => d.state === 'failed');
      assert.equal(failed.attempts, 3);
      assert.equal(failed.last_status_code, 503);
      assert.equal(failed.next_attempt_at, null);
      assert.equal(failed.delivered_at, null);
      assert.equal((await failing.waitFor(3, 1000, forToken(token.id))).length, 3);

      failing.defaultStatus = 204;
      const res = await t
        .http()
        .post(`/api/v1/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`)
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.state, 'pending');
      const again = await waitForDelivery(hook.id, (d) => d.state === 'delivered');
      assert.equal(again.attempts, 4);
      assert.equal(again.last_status_code, 204);
      const four = await failing.waitFor(4, 1000, forToken(token.id));
      assert.equal(new Set(four.map((d) => d.headers['tessera-event-id'])).size, 1);

      const other = await t
        .http()
        .post(
          `/api/v1/webhooks/${hook.id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`,
        )
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id);
      assert.equal(other.status, 404);
      await deleteHook(hook.id);
    } finally {
      await failing.close();
    }
  });

  it('sends nothing to an inactive webhook, nor to one created after the event', async () => {
    const quiet = await startReceiver();
    try {
      const inactive = await createHook(quiet.url, ['token.created'], { active: false });
      const token = await createToken(t, owner, ws);
      await sleep(500);
      const late = await createHook(quiet.url, ['token.created']);
      await sleep(500);
      assert.equal(quiet.received.filter(forToken(token.id)).length, 0);
      assert.equal((await deliveries(inactive.id)).length, 0);
      assert.equal((await deliveries(late.id)).length, 0);
      await deleteHook(inactive.id);
      await deleteHook(late.id);
    } finally {
      await quiet.close();
    }
  });

  async function deleteHook(id: string): Promise<void> {
    const res = await t
      .http()
      .delete(`/api/v1/webhooks/${id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(res.status, 204);
  }
});

describe(
  'Webhook deliveries: the address is checked again at delivery time',
  { timeout: 60_000 },
  () => {
    let t: TestApp;
    let receiver: WebhookReceiver;

    before(async () => {
      t = await startTestApp({ env: { WEBHOOK_POLL_MS: '50', WEBHOOK_RETRY_BASE_MS: '60000' } });
      receiver = await startReceiver();
    });
    after(async () => {
      await t.close();
      await receiver.close();
    });

    /** Creates a webhook to a public address, then points it at `url` behind the API's back. */
    const hookNowAt = async (
      url: string,
    ): Promise<{ owner: TestUser; ws: TestWorkspace; hookId: string }> => {
      const owner = await createUser(t);
      const ws = await createWorkspace(t, owner, { plan: 'pro' });
      const res = await t
        .http()
        .post('/api/v1/webhooks')
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id)
        .send({ url: 'https://1.1.1.1/hook', events: ['token.created'] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const hookId = res.body.id as string;
      // What DNS rebinding amounts to: the target that was public at creation no longer is.
      await t.dataSource.query('UPDATE webhooks SET url = ? WHERE id = ?', [url, hookId]);
      return { owner, ws, hookId };
    };
    const firstAttempt = async (
      owner: TestUser,
      ws: TestWorkspace,
      hookId: string,
    ): Promise<DeliveryBody> => {
      const deadline = Date.now() + 15_000;
      let delivery: DeliveryBody | undefined;
      while (!delivery && Date.now() < deadline) {
        const list = await t
          .http()
          .get(`/api/v1/webhooks/${hookId}/deliveries`)
          .set('Authorization', owner.basic)
          .set('X-Workspace-Id', ws.id);
        delivery = (list.body.data as DeliveryBody[]).find((d) => d.attempts > 0);
        await sleep(50);
      }
      assert.ok(delivery, 'the attempt was recorded');
      return delivery;
    };

    it('refuses to connect when the target now points to a private address (failed attempt)', async () => {
      const { owner, ws, hookId } = await hookNowAt(receiver.url);
      const metrics = t.app.get(WebhookMetrics);
      const refusedBefore = metrics.snapshot().refused_address;
      await createToken(t, owner, ws);
      const delivery = await firstAttempt(owner, ws, hookId);
      assert.equal(delivery.state, 'pending', 'a refused attempt is retried like any failure');
      assert.equal(delivery.last_status_code, null);
      assert.match(
        delivery.last_error ?? '',
        /address not allowed: 127\.0\.0\.1 is a loopback address/,
      );
      assert.ok(delivery.next_attempt_at !== null);
      assert.equal(receiver.received.length, 0, 'nothing reached the private address');
      assert.equal(metrics.snapshot().refused_address, refusedBefore + 1);
    });

    it('refuses the IPv4-compatible IPv6 form of a loopback address ([::127.0.0.1])', async () => {
      const port = new URL(receiver.url).port;
      const { owner, ws, hookId } = await hookNowAt(`http://[::127.0.0.1]:${port}/hook`);
      await createToken(t, owner, ws);
      const delivery = await firstAttempt(owner, ws, hookId);
      assert.equal(delivery.last_status_code, null);
      assert.equal(
        delivery.last_error,
        'address not allowed: ::7f00:1 is the IPv4-compatible form of 127.0.0.1, a loopback address (127.0.0.0/8)',
      );
      assert.equal(receiver.received.length, 0, 'nothing reached the loopback address');
    });
  },
);
