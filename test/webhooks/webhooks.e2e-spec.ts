import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { adminAuditEvents } from '../credentials/credential-helpers';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  setPlan,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

// SPEC §11.4: webhooks per workspace, managed by owners and admins.

const HOOK = 'http://127.0.0.1:9/hook'; // with WEBHOOK_ALLOW_PRIVATE=true; never reached here

describe('Webhooks CRUD (SPEC §11.4)', () => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let viewer: TestUser;
  let ws: TestWorkspace;

  const inWs = (req: request.Test, auth: string, workspace: TestWorkspace = ws) =>
    req.set('Authorization', auth).set('X-Workspace-Id', workspace.id);
  const create = (auth: string, body: object, workspace: TestWorkspace = ws) =>
    inWs(t.http().post('/api/v1/webhooks'), auth, workspace).send(body);

  before(async () => {
    // Inactive by default in this file's bodies, and the worker never looks at these URLs anyway.
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    owner = await createUser(t);
    admin = await createUser(t);
    member = await createUser(t);
    viewer = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'pro' });
    await addMember(t, ws, owner, admin, 'admin');
    await addMember(t, ws, owner, member, 'member');
    await addMember(t, ws, owner, viewer, 'viewer');
  });
  after(() => t.close());

  it('creates a webhook (201) with its secret shown once, stored sealed, and audited', async () => {
    const res = await create(owner.basic, {
      url: HOOK,
      events: ['token.revoked', 'token.created'],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const secret = res.body.secret as string;
    assert.match(secret, /^whsec_[0-9A-Za-z]{32}$/);
    assert.deepEqual(
      {
        ...res.body,
        id: undefined,
        created_at: undefined,
        updated_at: undefined,
        secret: undefined,
      },
      {
        id: undefined,
        workspace_id: ws.id,
        url: HOOK,
        events: ['token.created', 'token.revoked'],
        active: true,
        created_at: undefined,
        updated_at: undefined,
        secret: undefined,
      },
    );
    const id = res.body.id as string;

    const one = await inWs(t.http().get(`/api/v1/webhooks/${id}`), owner.basic);
    assert.equal(one.status, 200);
    assert.equal(one.body.secret, undefined);
    assert.equal(one.body.url, HOOK);
    const list = await inWs(t.http().get('/api/v1/webhooks'), admin.basic);
    assert.equal(list.status, 200);
    assert.ok((list.body.data as Array<{ id: string }>).some((w) => w.id === id));
    assert.ok(!JSON.stringify(list.body).includes(secret), 'the list never shows the secret');

    const [row] = await t.dataSource.query<Array<{ secret: string }>>(
      'SELECT secret FROM webhooks WHERE id = ?',
      [id],
    );
    assert.ok(!row.secret.includes(secret.slice(6)), 'stored sealed, not in plaintext');
    assert.match(row.secret, /^v1:/);

    const events = await adminAuditEvents(t, { action: 'webhook.created' });
    const event = events.find((e) => e.target_id === id);
    assert.ok(event, 'webhook.created audited');
    assert.equal(event.actor_id, owner.id);
    assert.ok(!JSON.stringify(event).includes(secret), 'the audit event never holds the secret');
  });

  it('changes url, events and active with PATCH (audited with before/after), deletes with 204', async () => {
    const created = await create(admin.basic, { url: HOOK, events: ['token.leaked'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    const patched = await inWs(t.http().patch(`/api/v1/webhooks/${id}`), admin.basic).send({
      events: ['token.expiring', 'token.expired'],
      active: false,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.events, ['token.expiring', 'token.expired']);
    assert.equal(patched.body.active, false);
    assert.equal(patched.body.url, HOOK);
    const updated = (await adminAuditEvents(t, { action: 'webhook.updated' })).find(
      (e) => e.target_id === id,
    );
    assert.ok(updated, 'webhook.updated audited');
    assert.deepEqual(updated.metadata, {
      before: { events: ['token.leaked'], active: true },
      after: { events: ['token.expiring', 'token.expired'], active: false },
    });

    const del = await inWs(t.http().delete(`/api/v1/webhooks/${id}`), owner.basic);
    assert.equal(del.status, 204);
    assertError(await inWs(t.http().get(`/api/v1/webhooks/${id}`), owner.basic), 404, 'not_found');
    const deleted = (await adminAuditEvents(t, { action: 'webhook.deleted' })).find(
      (e) => e.target_id === id,
    );
    assert.ok(deleted, 'webhook.deleted audited');
  });

  it('refuses members and viewers (403 forbidden), read-only tokens (403 insufficient_scope)', async () => {
    assertError(
      await create(member.basic, { url: HOOK, events: ['token.created'] }),
      403,
      'forbidden',
    );
    assertError(await inWs(t.http().get('/api/v1/webhooks'), member.basic), 403, 'forbidden');
    assertError(await inWs(t.http().get('/api/v1/webhooks'), viewer.basic), 403, 'forbidden');
    const readOnly = await createToken(t, owner, ws, { scopes: ['read'] });
    assertError(
      await create(readOnly.bearer, { url: HOOK, events: ['token.created'] }),
      403,
      'insufficient_scope',
    );
    const list = await inWs(t.http().get('/api/v1/webhooks'), readOnly.bearer);
    assert.equal(list.status, 200, 'a read token of an owner lists');
    const writer = await createToken(t, owner, ws, { scopes: ['read', 'write'] });
    const made = await create(writer.bearer, { url: HOOK, events: ['token.created'] });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assertError(
      await inWs(t.http().delete(`/api/v1/webhooks/${made.body.id as string}`), writer.bearer),
      403,
      'insufficient_scope',
    );
  });

  it('401 without credentials, 400 without X-Workspace-Id, 404 for another workspace’s webhook', async () => {
    assertError(
      await t.http().get('/api/v1/webhooks').set('X-Workspace-Id', ws.id),
      401,
      'missing_credentials',
    );
    assertError(
      await t.http().get('/api/v1/webhooks').set('Authorization', owner.basic),
      400,
      'workspace_required',
    );
    const other = await createUser(t);
    const otherWs = await createWorkspace(t, other, { plan: 'pro' });
    const theirs = await create(other.basic, { url: HOOK, events: ['token.created'] }, otherWs);
    assert.equal(theirs.status, 201);
    const id = theirs.body.id as string;
    for (const req of [
      t.http().get(`/api/v1/webhooks/${id}`),
      t.http().patch(`/api/v1/webhooks/${id}`).send({ active: false }),
      t.http().delete(`/api/v1/webhooks/${id}`),
      t.http().get(`/api/v1/webhooks/${id}/deliveries`),
    ]) {
      assertError(await inWs(req, owner.basic), 404, 'not_found');
    }
    assertError(
      await inWs(t.http().get('/api/v1/webhooks/not-a-uuid'), owner.basic),
      404,
      'not_found',
    );
  });

  it('validates url and events (400 validation_failed with details)', async () => {
    const cases: Array<[object, string]> = [
      [{ url: HOOK, events: [] }, 'events'],
      [{ url: HOOK, events: ['token.stolen'] }, 'events'],
      [{ url: HOOK, events: ['token.created', 'token.created'] }, 'events'],
      [{ url: HOOK }, 'events'],
      [{ url: 'ftp://example.com/x', events: ['token.created'] }, 'url'],
      [{ url: 'not a url', events: ['token.created'] }, 'url'],
      [{ url: `https://example.com/${'a'.repeat(2040)}`, events: ['token.created'] }, 'url'],
      [{ events: ['token.created'] }, 'url'],
      [{ url: HOOK, events: ['token.created'], active: 'yes' }, 'active'],
      [{ url: HOOK, events: ['token.created'], secret: 'mine' }, 'secret'],
    ];
    for (const [body, field] of cases) {
      const res = await create(owner.basic, body);
      assertError(res, 400, 'validation_failed');
      const details = res.body.details as Array<{ field: string }>;
      assert.ok(
        details.some((d) => d.field === field),
        `${JSON.stringify(body)} names ${field}: ${JSON.stringify(details)}`,
      );
    }
    const ok = await create(owner.basic, {
      url: `https://example.com/${'a'.repeat(2028)}`,
      events: ['token.created'],
    });
    assert.equal(ok.status, 201, 'a URL of 2048 characters is accepted');
  });

  it('follows the plan and billing rules: plan_required, and 402 for writes while read-only', async () => {
    const owner2 = await createUser(t);
    const free = await createWorkspace(t, owner2, { plan: 'free' });
    assertError(
      await inWs(t.http().get('/api/v1/webhooks'), owner2.basic, free),
      403,
      'plan_required',
    );
    const ro = await createWorkspace(t, owner2, { plan: 'pro' });
    await setPlan(t, ro.id, { billing_status: 'read_only' });
    assertError(
      await create(owner2.basic, { url: HOOK, events: ['token.created'] }, ro),
      402,
      'workspace_read_only',
    );
    const list = await inWs(t.http().get('/api/v1/webhooks'), owner2.basic, ro);
    assert.equal(list.status, 200);
  });
});

describe('Webhook targets: SSRF refusals without WEBHOOK_ALLOW_PRIVATE (SPEC §11.4)', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;

  const create = (url: string) =>
    t
      .http()
      .post('/api/v1/webhooks')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ url, events: ['token.created'] });

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'pro' });
  });
  after(() => t.close());

  it('refuses loopback, private, link-local, CGNAT, unspecified and metadata addresses', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://127.1.2.3/',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/',
      'https://10.0.0.5/hook',
      'http://172.16.0.1/',
      'http://192.168.0.10/',
      'http://[fd12::1]/',
      'http://169.254.10.10/',
      'http://[fe80::1]/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[::127.0.0.1]/',
      'http://[::7f00:1]:8080/hook',
      'http://[::a00:5]/',
      'http://[::a9fe:a9fe]/latest/meta-data/',
    ]) {
      const res = await create(url);
      assertError(res, 400, 'webhook_url_not_allowed');
      assert.deepEqual(
        (res.body.details as Array<{ field: string }>).map((d) => d.field),
        ['url'],
        url,
      );
    }
  });

  it('says in words what the address is', async () => {
    for (const [url, message] of [
      ['http://0.0.0.0/', '0.0.0.0 is an unspecified address (0.0.0.0/8)'],
      ['http://100.64.0.1/', '100.64.0.1 is a carrier-grade NAT address (100.64.0.0/10)'],
      ['http://[64:ff9b::a00:1]/', '64:ff9b::a00:1 is a NAT64 address (RFC 6052)'],
      ['http://[fd12::1]/', 'fd12::1 is a unique local address (fc00::/7), the IPv6 private range'],
      [
        'http://[::127.0.0.1]/',
        '::7f00:1 is the IPv4-compatible form of 127.0.0.1, a loopback address (127.0.0.0/8)',
      ],
    ]) {
      const res = await create(url);
      assertError(res, 400, 'webhook_url_not_allowed');
      assert.ok((res.body.message as string).includes(`: ${message}.`), res.body.message as string);
    }
  });

  it('refuses a host name that resolves to a loopback address (localhost)', async () => {
    const res = await create('http://localhost:8080/hook');
    assertError(res, 400, 'webhook_url_not_allowed');
    assert.match(res.body.message as string, /localhost resolves to .*loopback/);
  });

  it('accepts a public address, and refuses a PATCH to a private one (unchanged)', async () => {
    const res = await create('https://1.1.1.1/hook');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const id = res.body.id as string;
    const patch = await t
      .http()
      .patch(`/api/v1/webhooks/${id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ url: 'http://192.168.1.1/' });
    assertError(patch, 400, 'webhook_url_not_allowed');
    const get = await t
      .http()
      .get(`/api/v1/webhooks/${id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(get.body.url, 'https://1.1.1.1/hook');
  });
});
