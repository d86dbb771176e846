import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebhookDelivery } from '../../src/webhooks/entities/webhook-delivery.entity';
import {
  createToken,
  createUser,
  createWorkspace,
  setPlan,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import {
  authorizationRequest,
  discover,
  obtainCode,
  OAuthTestApp,
  registerClient,
  RegisteredClient,
  startOAuthTestApp,
} from '../support/oauth';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';
import { adminUser, setLegacyPassword } from '../credentials/credential-helpers';
import { ContractChecker, OpenApiDocument, operationsOf } from './openapi-contract';

// Every documented operation answers what the document says: real requests, success and error
// cases, each response validated against the document's own schemas and headers.

interface Res {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
  text?: string;
}

describe('Responses match the OpenAPI document (SPEC §3)', () => {
  let t: OAuthTestApp;
  let contract: ContractChecker;
  let admin: TestUser;
  let owner: TestUser;
  let ws: TestWorkspace;
  let token: TestToken;

  /** Sends, validates against the document, returns the response. */
  const call = async (
    method: 'get' | 'post' | 'patch' | 'delete',
    template: string,
    options: {
      params?: Record<string, string>;
      auth?: string;
      workspace?: string;
      body?: unknown;
      headers?: Record<string, string>;
      query?: Record<string, string>;
      form?: Record<string, string>;
      app?: TestApp;
    } = {},
  ): Promise<Res> => {
    let url = template;
    for (const [name, value] of Object.entries(options.params ?? {})) {
      url = url.replace(`{${name}}`, value);
    }
    const req = (options.app ?? t).http()[method](url);
    if (options.auth) {
      req.set('Authorization', options.auth);
    }
    if (options.workspace) {
      req.set('X-Workspace-Id', options.workspace);
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      req.set(name, value);
    }
    if (options.query) {
      req.query(options.query);
    }
    if (options.form) {
      req.type('form').send(options.form);
    } else if (options.body !== undefined) {
      req.send(options.body as object);
    }
    const res = (await req) as unknown as Res;
    contract.check(method, template, res);
    return res;
  };

  const owned = (extra: Partial<Parameters<typeof call>[2]> = {}) => ({
    auth: token.bearer,
    workspace: ws.id,
    ...extra,
  });

  before(async () => {
    t = await startOAuthTestApp();
    const res = await t.http().get('/api/docs-json');
    contract = new ContractChecker(res.body as OpenApiDocument);
    admin = await adminUser(t);
    owner = await createUser(t);
    ws = await createWorkspace(t, owner);
    token = await createToken(t, owner, ws, { scopes: ['read', 'write', 'delete'] });
  });
  after(() => t.close());

  it('me, workspaces and members', async () => {
    const me = await call('get', '/api/v1/me', { auth: token.bearer });
    assert.equal(me.status, 200);
    assert.ok(me.headers['x-token-expires-at']);
    // impersonated_by: an object under X-Switch-User, null otherwise; both match the schema.
    const switched = await call('get', '/api/v1/me', {
      auth: admin.basic,
      headers: { 'X-Switch-User': owner.username },
    });
    assert.equal((switched.body as { impersonated_by: unknown }).impersonated_by !== null, true);
    assert.equal(
      (
        await call('get', '/api/v1/me', {
          auth: admin.basic,
          headers: { 'X-Switch-User': 'nobody-here' },
        })
      ).status,
      412,
    );
    assert.equal((await call('get', '/api/v1/me', {})).status, 401);
    assert.equal((await call('get', '/api/v1/me', { auth: 'Bearer ts_not_a_token' })).status, 401);

    assert.equal((await call('get', '/api/v1/workspaces', { auth: owner.basic })).status, 200);
    const created = await call('post', '/api/v1/workspaces', {
      auth: owner.basic,
      body: { name: 'Second' },
    });
    assert.equal(created.status, 201);
    const second = (created.body as { id: string }).id;
    assert.equal(
      (await call('post', '/api/v1/workspaces', { auth: owner.basic, body: { name: '' } })).status,
      400,
    );
    const p = { id: second };
    assert.equal(
      (await call('get', '/api/v1/workspaces/{id}', { auth: owner.basic, params: p })).status,
      200,
    );
    assert.equal(
      (
        await call('get', '/api/v1/workspaces/{id}', {
          auth: owner.basic,
          params: { id: randomUUID() },
        })
      ).status,
      404,
    );
    assert.equal(
      (
        await call('patch', '/api/v1/workspaces/{id}', {
          auth: owner.basic,
          params: p,
          body: { name: 'Renamed' },
        })
      ).status,
      200,
    );
    assert.equal(
      (await call('get', '/api/v1/workspaces/{id}/members', { auth: owner.basic, params: p }))
        .status,
      200,
    );
    const member = await createUser(t);
    const add = { auth: owner.basic, params: p, body: { user_id: member.id, role: 'member' } };
    assert.equal((await call('post', '/api/v1/workspaces/{id}/members', add)).status, 201);
    assert.equal((await call('post', '/api/v1/workspaces/{id}/members', add)).status, 409);
    const pm = { id: second, userId: member.id };
    assert.equal(
      (
        await call('patch', '/api/v1/workspaces/{id}/members/{userId}', {
          auth: owner.basic,
          params: pm,
          body: { role: 'admin' },
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await call('patch', '/api/v1/workspaces/{id}/members/{userId}', {
          auth: owner.basic,
          params: { id: second, userId: owner.id },
          body: { role: 'admin' },
        })
      ).status,
      409,
    );
    assert.equal(
      (
        await call('delete', '/api/v1/workspaces/{id}/members/{userId}', {
          auth: owner.basic,
          params: pm,
        })
      ).status,
      204,
    );
  });

  it('projects and issues, with 400, 402, 403, 404, 409, 413, 414, 415', async () => {
    assert.equal((await call('get', '/api/v1/projects', owned())).status, 200);
    const body = { name: 'Contract', identifier: 'contract', description: null };
    const created = await call('post', '/api/v1/projects', owned({ body }));
    assert.equal(created.status, 201);
    const id = (created.body as { id: string }).id;
    assert.equal((await call('post', '/api/v1/projects', owned({ body }))).status, 409);
    assert.equal(
      (await call('post', '/api/v1/projects', owned({ body: { name: 1 } }))).status,
      400,
    );
    assert.equal((await call('get', '/api/v1/projects', { auth: token.bearer })).status, 400);
    const textBody = await call(
      'post',
      '/api/v1/projects',
      owned({ headers: { 'Content-Type': 'text/plain' }, body: 'name=x' }),
    );
    assert.equal(textBody.status, 415);
    const huge = await call(
      'post',
      '/api/v1/projects',
      owned({ body: { name: 'x'.repeat(1024 * 1024 + 10) } }),
    );
    assert.equal(huge.status, 413);
    assert.equal(
      (await call('get', '/api/v1/projects/{id}', owned({ params: { id } }))).status,
      200,
    );
    assert.equal(
      (await call('get', '/api/v1/projects/{id}', owned({ params: { id: randomUUID() } }))).status,
      404,
    );
    assert.equal(
      (await call('get', '/api/v1/projects/{id}', owned({ params: { id: 'x'.repeat(600) } })))
        .status,
      414,
    );
    assert.equal(
      (
        await call(
          'patch',
          '/api/v1/projects/{id}',
          owned({ params: { id }, body: { description: 'Now described' } }),
        )
      ).status,
      200,
    );

    const issue = await call(
      'post',
      '/api/v1/projects/{projectId}/issues',
      owned({ params: { projectId: id }, body: { subject: 'Broken', assignee_id: owner.id } }),
    );
    assert.equal(issue.status, 201);
    const issueId = (issue.body as { id: string }).id;
    assert.equal(
      (await call('get', '/api/v1/issues', owned({ query: { project_id: id } }))).status,
      200,
    );
    assert.equal(
      (await call('get', '/api/v1/issues/{id}', owned({ params: { id: issueId } }))).status,
      200,
    );
    assert.equal(
      (
        await call(
          'patch',
          '/api/v1/issues/{id}',
          owned({ params: { id: issueId }, body: { status: 'closed', assignee_id: null } }),
        )
      ).status,
      200,
    );
    assert.equal(
      (await call('delete', '/api/v1/issues/{id}', owned({ params: { id: issueId } }))).status,
      204,
    );
    assert.equal(
      (await call('delete', '/api/v1/projects/{id}', owned({ params: { id } }))).status,
      204,
    );

    const reader = await createToken(t, owner, ws, { scopes: ['read'] });
    const refused = await call('post', '/api/v1/projects', owned({ auth: reader.bearer, body }));
    assert.equal(refused.status, 403);
    assert.ok(refused.headers['www-authenticate']);

    // A token's own restrictions (SPEC §11.1): project_not_allowed and ip_not_allowed.
    const restricted = await call(
      'post',
      '/api/v1/tokens',
      owned({
        body: {
          name: 'restricted',
          scopes: ['read', 'write'],
          expires_in_days: 1,
          project_ids: [],
        },
      }),
    );
    assert.equal(restricted.status, 201);
    const restrictedBearer = `Bearer ${(restricted.body as { token: string }).token}`;
    const notAllowed = await call(
      'post',
      '/api/v1/projects',
      owned({ auth: restrictedBearer, body }),
    );
    assert.equal((notAllowed.body as { code: string }).code, 'project_not_allowed');
    const elsewhere = await call(
      'post',
      '/api/v1/tokens',
      owned({
        body: { name: 'far', scopes: ['read'], expires_in_days: 1, allowed_cidrs: ['192.0.2.1'] },
      }),
    );
    const farBearer = `Bearer ${(elsewhere.body as { token: string }).token}`;
    const wrongAddress = await call('get', '/api/v1/projects', owned({ auth: farBearer }));
    assert.equal((wrongAddress.body as { code: string }).code, 'ip_not_allowed');

    const unpaid = await createWorkspace(t, owner);
    await setPlan(t, unpaid.id, { billing_status: 'read_only' });
    const readOnly = await call('post', '/api/v1/projects', {
      auth: owner.basic,
      workspace: unpaid.id,
      body,
    });
    assert.equal(readOnly.status, 402);
  });

  it('tokens', async () => {
    assert.equal(
      (await call('get', '/api/v1/tokens', owned({ query: { all: 'true', state: 'all' } }))).status,
      200,
    );
    assert.equal((await call('get', '/api/v1/tokens/self', owned())).status, 200);
    const created = await call(
      'post',
      '/api/v1/tokens',
      owned({
        body: {
          name: 'contract',
          scopes: ['read'],
          expires_at: new Date(Date.now() + 86400_000).toISOString(),
        },
      }),
    );
    assert.equal(created.status, 201);
    const id = (created.body as { id: string }).id;
    assert.equal(
      (
        await call(
          'post',
          '/api/v1/tokens',
          owned({ body: { name: 'no expiry', scopes: ['read'] } }),
        )
      ).status,
      400,
    );
    assert.equal((await call('get', '/api/v1/tokens/{id}', owned({ params: { id } }))).status, 200);
    assert.equal(
      (await call('get', '/api/v1/tokens/{id}/requests', owned({ params: { id } }))).status,
      200,
    );
    assert.equal(
      (
        await call(
          'get',
          '/api/v1/tokens/{id}/usage',
          owned({ params: { id }, query: { days: '7' } }),
        )
      ).status,
      200,
    );
    assert.equal(
      (
        await call(
          'get',
          '/api/v1/tokens/{id}/usage',
          owned({ params: { id }, query: { days: '0' } }),
        )
      ).status,
      400,
    );
    assert.equal(
      (await call('get', '/api/v1/tokens/{id}/requests', owned({ params: { id: randomUUID() } })))
        .status,
      404,
    );
    const patched = await call(
      'patch',
      '/api/v1/tokens/{id}',
      owned({
        params: { id },
        body: { name: 'contract 2', allowed_cidrs: ['127.0.0.0/8', '::1'], rate_limit: null },
      }),
    );
    assert.equal(patched.status, 200);
    assert.equal(
      (
        await call(
          'patch',
          '/api/v1/tokens/{id}',
          owned({ params: { id }, body: { allowed_cidrs: ['300.0.0.1'] } }),
        )
      ).status,
      400,
    );
    const rotated = await call(
      'post',
      '/api/v1/tokens/{id}/rotate',
      owned({ params: { id }, body: { grace_seconds: 0 } }),
    );
    assert.equal(rotated.status, 201);
    assert.equal(
      (await call('post', '/api/v1/tokens/{id}/rotate', owned({ params: { id }, body: {} })))
        .status,
      409,
    );
    assert.equal(
      (
        await call(
          'delete',
          '/api/v1/tokens/{id}',
          owned({ params: { id: (rotated.body as { id: string }).id } }),
        )
      ).status,
      204,
    );
    assert.equal(
      (await call('get', '/api/v1/tokens/{id}', owned({ params: { id: randomUUID() } }))).status,
      404,
    );

    // A pro workspace's five tokens runs out: 409 token_limit_reached.
    const small = await createWorkspace(t, owner);
    let limited: Res | undefined;
    for (let i = 0; i < 10 && limited?.status !== 409; i++) {
      limited = await call('post', '/api/v1/tokens', {
        auth: owner.basic,
        workspace: small.id,
        body: { name: `n${i}`, scopes: ['read'], expires_in_days: 1 },
      });
    }
    assert.equal(limited?.status, 409);
  });

  it('leaked tokens: the public intake and the admin lookup', async () => {
    const leaked = await createToken(t, owner, ws, { scopes: ['read'] });
    const reported = await call('post', '/api/v1/tokens/revoke-leaked', {
      body: { tokens: [leaked.token, 'not-a-token'] },
    });
    assert.equal(reported.status, 202);
    assert.equal(
      (await call('post', '/api/v1/tokens/revoke-leaked', { body: { tokens: [] } })).status,
      400,
    );
    const a = { auth: admin.basic };
    const found = await call('post', '/api/v1/admin/tokens/lookup', {
      ...a,
      body: { token: leaked.token },
    });
    assert.equal(found.status, 200);
    assert.equal((found.body as { revoked_reason: string }).revoked_reason, 'leaked');
    const unknown = await call('post', '/api/v1/admin/tokens/lookup', {
      ...a,
      body: { token: 'ts_unknown' },
    });
    assert.equal(unknown.status, 404);
    const forbidden = await call('post', '/api/v1/admin/tokens/lookup', {
      auth: owner.basic,
      body: { token: leaked.token },
    });
    assert.equal(forbidden.status, 403);
  });

  it('workspace token policy, with 400 and 403 policy_violation', async () => {
    const place = await createWorkspace(t, owner);
    const p = { id: place.id };
    const strictToken = await createToken(t, owner, place, { scopes: ['read', 'delete'] });
    assert.equal(
      (await call('get', '/api/v1/workspaces/{id}/token-policy', { auth: owner.basic, params: p }))
        .status,
      200,
    );
    const patch = (body: unknown) =>
      call('patch', '/api/v1/workspaces/{id}/token-policy', {
        auth: owner.basic,
        params: p,
        body,
      });
    assert.equal((await patch({ allowed_scopes: ['read'], max_lifetime_days: 30 })).status, 200);
    assert.equal((await patch({ idle_revoke_days: 3 })).status, 400);
    const refused = await call('get', '/api/v1/projects', {
      auth: strictToken.bearer,
      workspace: place.id,
    });
    assert.equal(refused.status, 403);
    assert.equal((refused.body as { code: string }).code, 'policy_violation');
    const meRefused = await call('get', '/api/v1/me', { auth: strictToken.bearer });
    assert.equal((meRefused.body as { code: string }).code, 'policy_violation');
    const minted = await call('post', '/api/v1/tokens', {
      auth: owner.basic,
      workspace: place.id,
      body: { name: 'too wide', scopes: ['write'], expires_in_days: 7 },
    });
    assert.equal(minted.status, 400);
    assert.equal((minted.body as { code: string }).code, 'policy_violation');
    const listed = await call('get', '/api/v1/tokens', {
      auth: owner.basic,
      workspace: place.id,
    });
    assert.equal(
      (listed.body as { data: Array<{ id: string; policy_compliant: boolean }> }).data.find(
        (x) => x.id === strictToken.id,
      )?.policy_compliant,
      false,
    );
    const revoked = await call('delete', '/api/v1/tokens/{id}', {
      auth: strictToken.bearer,
      workspace: place.id,
      params: { id: strictToken.id },
    });
    assert.equal(revoked.status, 204);
  });

  it('service accounts (SPEC §11.5)', async () => {
    const p = { id: ws.id };
    const listed = await call('get', '/api/v1/workspaces/{id}/service-accounts', {
      auth: owner.basic,
      params: p,
    });
    assert.equal(listed.status, 200);
    const created = await call('post', '/api/v1/workspaces/{id}/service-accounts', {
      auth: owner.basic,
      params: p,
      body: { name: 'Contract bot', role: 'member' },
    });
    assert.equal(created.status, 201);
    const saId = (created.body as { id: string }).id;
    assert.equal(
      (
        await call('post', '/api/v1/workspaces/{id}/service-accounts', {
          auth: owner.basic,
          params: p,
          body: { name: 'x', role: 'owner' },
        })
      ).status,
      400,
    );
    const ps = { id: ws.id, saId };
    const minted = await call('post', '/api/v1/workspaces/{id}/service-accounts/{saId}/tokens', {
      auth: owner.basic,
      params: ps,
      body: { name: 'deploy', scopes: ['read'], expires_in_days: 7 },
    });
    assert.equal(minted.status, 201);
    const me = await call('get', '/api/v1/me', {
      auth: `Bearer ${(minted.body as { token: string }).token}`,
    });
    assert.equal((me.body as { type: string }).type, 'service_account');
    assert.equal(
      (
        await call('post', '/api/v1/workspaces/{id}/service-accounts/{saId}/tokens', {
          auth: owner.basic,
          params: { id: ws.id, saId: randomUUID() },
          body: { name: 'deploy', scopes: ['read'], expires_in_days: 7 },
        })
      ).status,
      404,
    );
    assert.equal(
      (
        await call('delete', '/api/v1/workspaces/{id}/service-accounts/{saId}', {
          auth: owner.basic,
          params: ps,
        })
      ).status,
      204,
    );
    assert.equal(
      (
        await call('delete', '/api/v1/workspaces/{id}/service-accounts/{saId}', {
          auth: owner.basic,
          params: ps,
        })
      ).status,
      404,
    );
    const events = await call('get', '/api/v1/audit-events', {
      auth: owner.basic,
      workspace: ws.id,
      query: { action: 'service_account.deleted' },
    });
    assert.equal(
      (events.body as { data: Array<{ actor_type: string }> }).data[0]?.actor_type,
      'user',
    );
  });

  it('webhooks and their deliveries, with 400 webhook_url_not_allowed', async () => {
    const place = await createWorkspace(t, owner);
    const inPlace = { auth: owner.basic, workspace: place.id };
    const refused = await call('post', '/api/v1/webhooks', {
      ...inPlace,
      body: { url: 'http://127.0.0.1:9/hook', events: ['token.created'] },
    });
    assert.equal(refused.status, 400);
    assert.equal((refused.body as { code: string }).code, 'webhook_url_not_allowed');
    const created = await call('post', '/api/v1/webhooks', {
      ...inPlace,
      body: { url: 'https://1.1.1.1/hook', events: ['token.created'], active: false },
    });
    assert.equal(created.status, 201);
    const id = (created.body as { id: string }).id;
    const p = { id };
    assert.equal((await call('get', '/api/v1/webhooks', inPlace)).status, 200);
    assert.equal(
      (await call('get', '/api/v1/webhooks/{id}', { ...inPlace, params: p })).status,
      200,
    );
    const patched = await call('patch', '/api/v1/webhooks/{id}', {
      ...inPlace,
      params: p,
      body: { events: ['token.revoked', 'token.leaked'] },
    });
    assert.equal(patched.status, 200);
    // A delivery that gave up, as the (inactive, so idle) worker would have left it.
    const deliveryId = randomUUID();
    const when = new Date();
    await t.dataSource.getRepository(WebhookDelivery).insert({
      id: deliveryId,
      webhookId: id,
      eventId: randomUUID(),
      eventType: 'token.revoked',
      state: 'failed',
      attempts: 8,
      nextAttemptAt: null,
      lastStatusCode: 500,
      lastError: 'the receiver answered 500',
      lastAttemptAt: when,
      deliveredAt: null,
      claimedUntil: null,
      claimedBy: null,
      createdAt: when,
    });
    const deliveries = await call('get', '/api/v1/webhooks/{id}/deliveries', {
      ...inPlace,
      params: p,
    });
    assert.equal(deliveries.status, 200);
    assert.equal((deliveries.body as { total_count: number }).total_count, 1);
    const redelivered = await call(
      'post',
      '/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      { ...inPlace, params: { id, deliveryId } },
    );
    assert.equal(redelivered.status, 202);
    assert.equal(
      (await call('delete', '/api/v1/webhooks/{id}', { ...inPlace, params: p })).status,
      204,
    );
  });

  it('admin routes', async () => {
    const a = { auth: admin.basic };
    assert.equal(
      (await call('get', '/api/v1/admin/users', { ...a, query: { limit: '5' } })).status,
      200,
    );
    const username = `contract${Date.now().toString(36)}`;
    const user = { username, email: `${username}@example.test`, password: 'a-long-password-1' };
    const created = await call('post', '/api/v1/admin/users', { ...a, body: user });
    assert.equal(created.status, 201);
    assert.equal((await call('post', '/api/v1/admin/users', { ...a, body: user })).status, 409);
    const id = (created.body as { id: string }).id;
    assert.equal(
      (
        await call('patch', '/api/v1/admin/users/{id}', {
          ...a,
          params: { id },
          body: { status: 'locked' },
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await call('patch', '/api/v1/admin/users/{id}', {
          ...a,
          params: { id: admin.id },
          body: { is_admin: false },
        })
      ).status,
      409,
    );
    assert.equal(
      (
        await call('patch', '/api/v1/admin/users/{id}', {
          ...a,
          params: { id: randomUUID() },
          body: {},
        })
      ).status,
      404,
    );
    assert.equal((await call('get', '/api/v1/admin/users', { auth: owner.basic })).status, 403);

    assert.equal((await call('get', '/api/v1/admin/workspaces', a)).status, 200);
    assert.equal(
      (
        await call('patch', '/api/v1/admin/workspaces/{id}', {
          ...a,
          params: { id: ws.id },
          body: { token_packs: 1 },
        })
      ).status,
      200,
    );
    assert.equal(
      (await call('get', '/api/v1/admin/tokens', { ...a, query: { user_id: owner.id } })).status,
      200,
    );
    const victim = await createToken(t, owner, ws);
    assert.equal(
      (await call('delete', '/api/v1/admin/tokens/{id}', { ...a, params: { id: victim.id } }))
        .status,
      204,
    );
    assert.equal(
      (await call('get', '/api/v1/admin/audit-events', { ...a, query: { limit: '50' } })).status,
      200,
    );
    assert.equal((await call('get', '/api/v1/audit-events', owned())).status, 200);
    assert.equal((await call('get', '/api/v1/admin/settings', a)).status, 200);
    assert.equal(
      (
        await call('patch', '/api/v1/admin/settings', {
          ...a,
          body: { max_token_lifetime_days: 365 },
        })
      ).status,
      200,
    );

    // Legacy API passwords: Deprecation and Link on the answer, and the usage report.
    await setLegacyPassword(t, owner, 'legacy-password-1');
    const legacy = await call('get', '/api/v1/me', {
      headers: { 'X-AUTH-USER': owner.username, 'X-AUTH-TOKEN': 'legacy-password-1' },
    });
    assert.equal(legacy.status, 200);
    assert.ok(legacy.headers.deprecation && legacy.headers.link);
    await call('patch', '/api/v1/admin/settings', {
      ...a,
      body: { legacy_auth_sunset_at: '2099-01-01T00:00:00Z' },
    });
    const sunset = await call('get', '/api/v1/me', {
      headers: { 'X-AUTH-USER': owner.username, 'X-AUTH-TOKEN': 'legacy-password-1' },
    });
    assert.ok(sunset.headers.sunset);
    await call('patch', '/api/v1/admin/settings', { ...a, body: { legacy_auth_sunset_at: null } });
    assert.equal((await call('get', '/api/v1/admin/legacy-auth-usage', a)).status, 200);
  });

  it('two-factor management', async () => {
    const user = await createUser(t);
    const started = await call('post', '/api/v1/me/two-factor', { auth: user.basic });
    assert.equal(started.status, 201);
    const wrong = await call('post', '/api/v1/me/two-factor/confirm', {
      auth: user.basic,
      body: { code: 'abc' },
    });
    assert.equal(wrong.status, 400);
    const off = await call('delete', '/api/v1/me/two-factor', {
      auth: user.basic,
      body: { code: '123456' },
    });
    assert.equal(off.status, 409);
  });

  it('account security: sessions, password, authorizations, recovery codes, admin resets', async () => {
    const user = await createUser(t);
    assert.equal((await call('get', '/api/v1/me/sessions', { auth: user.basic })).status, 200);
    const noSession = await call('delete', '/api/v1/me/sessions/{id}', {
      auth: user.basic,
      params: { id: randomUUID() },
    });
    assert.equal(noSession.status, 404);
    const wrongCurrent = await call('post', '/api/v1/me/password', {
      auth: user.basic,
      body: { current_password: 'not-the-password', new_password: 'a-new-long-passphrase-7' },
    });
    assert.equal(wrongCurrent.status, 400);
    const changed = await call('post', '/api/v1/me/password', {
      auth: user.basic,
      body: { current_password: user.password, new_password: 'a-new-long-passphrase-7' },
    });
    assert.equal(changed.status, 204);
    const renewed = basicAuth(user.username, 'a-new-long-passphrase-7');
    assert.equal((await call('get', '/api/v1/me/authorizations', { auth: renewed })).status, 200);
    const notAuthorized = await call('delete', '/api/v1/me/authorizations/{clientId}', {
      auth: renewed,
      params: { clientId: 'tsc_never_authorized' },
    });
    assert.equal(notAuthorized.status, 404);
    const noTwoFactor = await call('post', '/api/v1/me/two-factor/recovery-codes', {
      auth: renewed,
      body: { code: '123456' },
    });
    assert.ok([400, 409].includes(noTwoFactor.status), String(noTwoFactor.status));
    const a = { auth: admin.basic };
    const link = await call('post', '/api/v1/admin/users/{id}/password-reset', {
      ...a,
      params: { id: user.id },
    });
    assert.equal(link.status, 201);
    const reset = await call('delete', '/api/v1/admin/users/{id}/two-factor', {
      ...a,
      params: { id: user.id },
    });
    assert.equal(reset.status, 204);
    const unknown = await call('delete', '/api/v1/admin/users/{id}/two-factor', {
      ...a,
      params: { id: randomUUID() },
    });
    assert.equal(unknown.status, 404);
  });

  it('OAuth applications and the OAuth endpoints', async () => {
    const a = { auth: admin.basic };
    assert.equal((await call('get', '/api/v1/admin/oauth/applications', a)).status, 200);
    const client: RegisteredClient = await registerClient(t, { scopes: ['read'] });
    const created = await call('post', '/api/v1/admin/oauth/applications', {
      ...a,
      body: { name: 'Gone soon', redirect_uris: ['https://x.example/cb'], scopes: ['read'] },
    });
    assert.equal(created.status, 201);
    assert.equal(
      (
        await call('delete', '/api/v1/admin/oauth/applications/{id}', {
          ...a,
          params: { id: (created.body as { id: string }).id },
        })
      ).status,
      204,
    );

    assert.equal((await call('get', '/.well-known/oauth-authorization-server')).status, 200);
    const as = await discover(t);
    const request = await authorizationRequest(as, client);
    const page = await call('get', '/oauth/authorize', {
      query: Object.fromEntries(request.url.searchParams),
    });
    assert.equal(page.status, 303);

    const { request: granted, params } = await obtainCode(t, as, client, owner);
    const basic = basicAuth(client.clientId, client.clientSecret as string);
    const tokens = await call('post', '/oauth/token', {
      auth: basic,
      form: {
        grant_type: 'authorization_code',
        code: params.get('code') as string,
        redirect_uri: granted.redirectUri,
        code_verifier: granted.codeVerifier,
      },
    });
    assert.equal(tokens.status, 200);
    const access = (tokens.body as { access_token: string }).access_token;
    assert.equal(
      (await call('post', '/oauth/token', { auth: basic, form: { grant_type: 'password' } }))
        .status,
      400,
    );
    assert.equal(
      (
        await call('post', '/oauth/token', {
          auth: basicAuth(client.clientId, 'wrong'),
          form: { grant_type: 'refresh_token', refresh_token: 'x' },
        })
      ).status,
      401,
    );
    assert.equal(
      (await call('get', '/oauth/token/info', { auth: `Bearer ${access}` })).status,
      200,
    );
    assert.equal((await call('get', '/oauth/token/info', {})).status, 401);
    assert.equal(
      (await call('post', '/oauth/introspect', { auth: basic, form: { token: access } })).status,
      200,
    );
    assert.equal((await call('post', '/oauth/introspect', { auth: basic, form: {} })).status, 400);
    assert.equal(
      (await call('post', '/oauth/introspect', { form: { token: access } })).status,
      401,
    );
    const viaOAuth = await call('get', '/api/v1/me', { auth: `Bearer ${access}` });
    assert.equal(viaOAuth.status, 200);
    assert.equal(
      (await call('post', '/oauth/revoke', { auth: basic, form: { token: access } })).status,
      200,
    );
    assert.equal((await call('post', '/oauth/revoke', { auth: basic, form: {} })).status, 400);
    assert.equal(
      (
        await call('post', '/oauth/revoke', {
          auth: basicAuth(client.clientId, 'wrong'),
          form: { token: access },
        })
      ).status,
      401,
    );
  });

  it('health', async () => {
    assert.equal((await call('get', '/health/live')).status, 200);
    assert.equal((await call('get', '/health/ready')).status, 200);
  });

  it('429 with Retry-After and RateLimit-* once the limit is used up', async () => {
    const limited = await startTestApp({
      env: { RATE_LIMIT_REQUESTS: '2', LEAKED_TOKEN_REPORT_LIMIT: '1' },
    });
    try {
      const report = { app: limited, body: { tokens: ['x'] } };
      assert.equal((await call('post', '/api/v1/tokens/revoke-leaked', report)).status, 202);
      assert.equal((await call('post', '/api/v1/tokens/revoke-leaked', report)).status, 429);
      const first = await call('get', '/api/v1/me', { app: limited, auth: limited.adminBasic });
      assert.equal(first.headers['ratelimit-limit'], '2');
      await call('get', '/api/v1/workspaces', { app: limited, auth: limited.adminBasic });
      const refused = await call('get', '/api/v1/me', { app: limited, auth: limited.adminBasic });
      assert.equal(refused.status, 429);
    } finally {
      await limited.close();
    }
  });

  it('validated a response of every documented operation, and every error status', () => {
    const seen = new Set(contract.seen.map((s) => `${s.method} ${s.path}`));
    const missing = operationsOf(contract.doc).filter((op) => !seen.has(op));
    assert.deepEqual(missing, [], 'operations without a validated response');
    const statuses = new Set(contract.seen.map((s) => s.status));
    for (const status of [400, 401, 402, 403, 404, 409, 412, 413, 414, 415, 429]) {
      assert.ok(statuses.has(status), `no validated ${status} response`);
    }
  });
});
