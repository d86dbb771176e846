import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminAuditEvents } from '../credentials/credential-helpers';
import { freshDatabase, TestDatabase } from '../support/databases';
import { splitAt } from '../support/migrations';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { ReceivedDelivery, startReceiver, WebhookReceiver } from '../support/webhook-receiver';

// The password of a webhook URL's user-info is stored sealed with the at-rest key, apart from
// the URL, like the signing secret; deliveries still send it as Basic credentials.

const SEALED = /^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/;
const ENV = { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_MS: '50' };

interface StoredWebhook {
  url: string;
  url_password: string | null;
}

describe('Webhook URL passwords are stored encrypted', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let t: TestApp;
  let owner: TestUser;
  let receiver: WebhookReceiver;

  /** The receiver's URL with this user-info (an empty password: none). */
  const withUser = (password: string): string => {
    const url = new URL(receiver.url);
    url.username = 'hook-user';
    url.password = password;
    return url.toString();
  };
  const basic = (password: string): string =>
    `Basic ${Buffer.from(`hook-user:${password}`).toString('base64')}`;
  const call = (ws: TestWorkspace, method: 'get' | 'post' | 'patch', path: string) =>
    t.http()[method](path).set('Authorization', owner.basic).set('X-Workspace-Id', ws.id);
  const stored = async (id: string): Promise<StoredWebhook> => {
    const [row] = await t.dataSource.query<StoredWebhook[]>(
      'SELECT url, url_password FROM webhooks WHERE id = ?',
      [id],
    );
    return row;
  };
  /** The Authorization header of the delivery of a new token's event in `ws`. */
  const deliveredAuthorization = async (ws: TestWorkspace): Promise<string | undefined> => {
    const token = await createToken(t, owner, ws);
    const forToken = (d: ReceivedDelivery): boolean =>
      (d.body.data as { token?: { id?: string } } | undefined)?.token?.id === token.id;
    const [got] = await receiver.waitFor(1, 15_000, forToken);
    return got.headers.authorization;
  };
  const createHook = async (ws: TestWorkspace, url: string): Promise<string> => {
    const res = await call(ws, 'post', '/api/v1/webhooks').send({
      url,
      events: ['token.created'],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };

  before(async () => {
    db = await freshDatabase();
    t = await startTestApp({ database: db, env: ENV });
    owner = await createUser(t);
    receiver = await startReceiver();
  });
  after(async () => {
    await t.close();
    await db.drop();
    await receiver.close();
  });

  it('stores the URL without its password and the password sealed; deliveries send it as Basic', async () => {
    const ws = await createWorkspace(t, owner, { plan: 'pro' });
    const password = 'pw-1-Kq8vZr2';
    const id = await createHook(ws, withUser(password));
    const row = await stored(id);
    assert.equal(row.url, withUser(''));
    assert.match(String(row.url_password), SEALED);
    const [all] = await t.dataSource.query<object[]>('SELECT * FROM webhooks WHERE id = ?', [id]);
    assert.ok(!JSON.stringify(all).includes(password), 'no plaintext password in the row');
    const shown = await call(ws, 'get', `/api/v1/webhooks/${id}`);
    assert.equal(shown.body.url, withUser('***'));
    assert.equal(await deliveredAuthorization(ws), basic(password));
  });

  it('PATCH: the URL sent back as shown keeps the password; a new password alone is a change', async () => {
    const ws = await createWorkspace(t, owner, { plan: 'pro' });
    const password = 'pw-2-Yt4mWc9';
    const id = await createHook(ws, withUser(password));
    const before = await stored(id);
    const created = await call(ws, 'get', `/api/v1/webhooks/${id}`);

    // Unchanged: nothing written, nothing audited, the stored password still sent.
    const same = await call(ws, 'patch', `/api/v1/webhooks/${id}`).send({ url: withUser('***') });
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.deepEqual(same.body, created.body);
    assert.deepEqual(await stored(id), before);
    // With another field: only that field changes.
    const events = ['token.created', 'token.revoked'];
    const other = await call(ws, 'patch', `/api/v1/webhooks/${id}`).send({
      url: withUser('***'),
      events,
    });
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.deepEqual(other.body.events, events);
    assert.deepEqual(await stored(id), before);
    assert.equal(await deliveredAuthorization(ws), basic(password));

    const next = 'pw-3-Hs7dQe1';
    const changed = await call(ws, 'patch', `/api/v1/webhooks/${id}`).send({ url: withUser(next) });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.url, withUser('***'));
    const after = await stored(id);
    assert.equal(after.url, withUser(''));
    assert.match(String(after.url_password), SEALED);
    assert.notEqual(after.url_password, before.url_password);
    assert.equal(await deliveredAuthorization(ws), basic(next));

    const audit = (await adminAuditEvents(t, { action: 'webhook.updated' })).filter(
      (e) => e.target_id === id,
    );
    assert.deepEqual(
      audit.map((e) => e.metadata),
      [
        // Newest first: the password change, then the events change.
        { before: { url: withUser('***') }, after: { url: withUser('***') } },
        { before: { events: ['token.created'] }, after: { events } },
      ],
    );
  });

  it('refuses *** where it cannot stand for the stored password', async () => {
    const ws = await createWorkspace(t, owner, { plan: 'pro' });
    const created = await call(ws, 'post', '/api/v1/webhooks').send({
      url: withUser('***'),
      events: ['token.created'],
    });
    assertError(created, 400, 'validation_failed');
    assert.equal((created.body.details as Array<{ field: string }>)[0].field, 'url');

    const password = 'pw-4-Lm2nBv8';
    const id = await createHook(ws, withUser(password));
    const before = await stored(id);
    // To another receiver, the stored password never goes along.
    const moved = new URL(withUser('***'));
    moved.pathname = '/elsewhere';
    const elsewhere = await call(ws, 'patch', `/api/v1/webhooks/${id}`).send({
      url: moved.toString(),
    });
    assertError(elsewhere, 400, 'validation_failed');
    assert.deepEqual(await stored(id), before);

    const plain = await createHook(ws, receiver.url);
    const nothingToKeep = await call(ws, 'patch', `/api/v1/webhooks/${plain}`).send({
      url: withUser('***'),
    });
    assertError(nothingToKeep, 400, 'validation_failed');
    assert.deepEqual(await stored(plain), { url: receiver.url, url_password: null });
  });

  it('a password that really is *** can be written %2A%2A%2A', async () => {
    const ws = await createWorkspace(t, owner, { plan: 'pro' });
    const id = await createHook(ws, withUser('%2A%2A%2A'));
    assert.match(String((await stored(id)).url_password), SEALED);
    assert.equal(await deliveredAuthorization(ws), basic('***'));
  });

  it('seals, at the next start, a password an older version left in the URL', async () => {
    const ws = await createWorkspace(t, owner, { plan: 'pro' });
    const id = await createHook(ws, receiver.url);
    const password = 'pw-5-Old9xRt';
    // As an older version wrote it: the password in plaintext in the url column.
    await t.dataSource.query('UPDATE webhooks SET url = ?, url_password = NULL WHERE id = ?', [
      withUser(password),
      id,
    ]);
    // Until then it is shown redacted and delivered as it is.
    const shown = await call(ws, 'get', `/api/v1/webhooks/${id}`);
    assert.equal(shown.body.url, withUser('***'));
    assert.equal(await deliveredAuthorization(ws), basic(password));

    await t.close();
    t = await startTestApp({ database: db, env: ENV });
    const upgraded = await stored(id);
    assert.equal(upgraded.url, withUser(''));
    assert.match(String(upgraded.url_password), SEALED);
    assert.equal((await call(ws, 'get', `/api/v1/webhooks/${id}`)).body.url, withUser('***'));
    assert.equal(await deliveredAuthorization(ws), basic(password));

    // Idempotent: another start changes nothing.
    await t.close();
    t = await startTestApp({ database: db, env: ENV });
    assert.deepEqual(await stored(id), upgraded);
    assert.equal(await deliveredAuthorization(ws), basic(password));
  });
});

describe('The webhook URL password migration (1765000000700)', () => {
  let db: TestDatabase;

  before(async () => {
    db = await freshDatabase();
  });
  after(() => db.drop());

  it('adds url_password, leaves the URLs to the start, and goes down only with no password in it', async () => {
    const { earlier, full, undoLater } = splitAt(db, 'WebhookUrlPassword1765000000700');
    await earlier.initialize();
    const ws = randomUUID();
    const hook = randomUUID();
    const at = '2026-01-01 00:00:00';
    const oldUrl = 'https://hook-user:old-pw@hooks.example.com/x';
    try {
      await earlier.runMigrations();
      await earlier.query(
        "INSERT INTO workspaces (id, name, plan, billing_status, token_packs, created_at, updated_at) VALUES (?, 'W', 'pro', 'active', 0, ?, ?)",
        [ws, at, at],
      );
      await earlier.query(
        "INSERT INTO webhooks (id, workspace_id, url, events, active, secret, created_at, updated_at) VALUES (?, ?, ?, 'token.created', 1, 'v1:x', ?, ?)",
        [hook, ws, oldUrl, at, at],
      );
    } finally {
      await earlier.destroy();
    }
    await full.initialize();
    try {
      await full.runMigrations();
      const select = () =>
        full.query<StoredWebhook[]>('SELECT url, url_password FROM webhooks WHERE id = ?', [hook]);
      // The key is the application's: the URL is moved when it starts (tested above).
      assert.deepEqual(await select(), [{ url: oldUrl, url_password: null }]);

      await full.query("UPDATE webhooks SET url_password = 'v1:sealed' WHERE id = ?", [hook]);
      await undoLater();
      await assert.rejects(full.undoLastMigration(), (error: Error) => {
        assert.match(error.message, /1 webhook URL password\(s\) are stored encrypted/);
        return true;
      });
      await full.query('UPDATE webhooks SET url_password = NULL WHERE id = ?', [hook]);
      await full.undoLastMigration();
      const [row] = await full.query<Array<Record<string, unknown>>>(
        'SELECT * FROM webhooks WHERE id = ?',
        [hook],
      );
      assert.ok(!('url_password' in row), 'the column is gone');
      assert.equal(row.url, oldUrl);
      await full.runMigrations();
      assert.deepEqual(await select(), [{ url: oldUrl, url_password: null }]);
    } finally {
      await full.destroy();
    }
  });
});
