import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthCache } from '../../src/cache/auth-cache.service';
import { ApiToken } from '../../src/tokens/entities/api-token.entity';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  setPlan,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

// Every request below first warms the cache with a successful call, then changes something
// through the API, then checks that the very next request sees the change (issue 6: the
// request path is cached, revocation must still be immediate).
describe('Auth cache: changes take effect on the very next request', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    ws = await createWorkspace(t, owner);
  });
  after(() => t.close());

  async function warm(token: TestToken, workspace = ws): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const res = await t
        .http()
        .get('/api/v1/projects')
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', workspace.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
  }

  function projects(token: TestToken, workspace = ws) {
    return t
      .http()
      .get('/api/v1/projects')
      .set('Authorization', token.bearer)
      .set('X-Workspace-Id', workspace.id);
  }

  it('serves repeated requests for a token from memory', async () => {
    const token = await createToken(t, owner, ws);
    await warm(token);
    const sizes = t.app.get(AuthCache).sizes();
    assert.ok(sizes['api-tokens'] > 0);
    assert.ok(sizes.memberships > 0);
  });

  it('refuses a revoked token at once', async () => {
    const token = await createToken(t, owner, ws);
    await warm(token);
    const del = await t
      .http()
      .delete(`/api/v1/tokens/${token.id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(del.status, 204);
    assertError(await projects(token), 401, 'token_revoked');
  });

  it('refuses a token revoked by an admin at once', async () => {
    const token = await createToken(t, owner, ws);
    await warm(token);
    const del = await t
      .http()
      .delete(`/api/v1/admin/tokens/${token.id}`)
      .set('Authorization', t.adminBasic);
    assert.equal(del.status, 204);
    assertError(await projects(token), 401, 'token_revoked');
  });

  it('refuses a token rotated without grace at once, and accepts the new one', async () => {
    const token = await createToken(t, owner, ws);
    await warm(token);
    const rotated = await t
      .http()
      .post(`/api/v1/tokens/${token.id}/rotate`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ grace_seconds: 0 });
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    assertError(await projects(token), 401, 'token_revoked');
    const fresh = await projects({
      id: rotated.body.id,
      token: rotated.body.token,
      bearer: `Bearer ${rotated.body.token}`,
    });
    assert.equal(fresh.status, 200);
  });

  it('refuses a cached token once its expiry passes (checked against the clock)', async (context) => {
    const token = await createToken(t, owner, ws);
    const rows = t.dataSource.getRepository(ApiToken);
    // Ten seconds left, announced: the cache learns that expiry on the next request.
    await rows.update({ id: token.id }, { expiresAt: new Date(Date.now() + 10_000) });
    await t.app.get(AuthCache).invalidate({ kind: 'token', tokenId: token.id });
    await warm(token);
    // The database now says a year, unannounced: only the cached copy still says ten seconds,
    // so a refusal proves the cached copy was used and checked against the clock.
    await rows.update({ id: token.id }, { expiresAt: new Date(Date.now() + 365 * 86_400_000) });
    // Twenty seconds on: past the token's expiry, within the cache entry's 30 seconds.
    context.mock.timers.enable({ apis: ['Date'], now: Date.now() + 20_000 });
    assertError(await projects(token), 401, 'token_expired');
  });

  it('refuses the tokens of a user locked by an admin at once', async () => {
    const user = await createUser(t);
    const own = await createWorkspace(t, user);
    const token = await createToken(t, user, own);
    await warm(token, own);
    const lock = await t
      .http()
      .patch(`/api/v1/admin/users/${user.id}`)
      .set('Authorization', t.adminBasic)
      .send({ status: 'locked' });
    assert.equal(lock.status, 200);
    assertError(await projects(token, own), 401, 'invalid_token');
  });

  it('refuses a workspace that lost API access at once, and accepts it back after an upgrade', async () => {
    const user = await createUser(t);
    const own = await createWorkspace(t, user);
    const token = await createToken(t, user, own);
    await warm(token, own);
    await setPlan(t, own.id, { plan: 'free' });
    assertError(await projects(token, own), 403, 'plan_required');
    await setPlan(t, own.id, { plan: 'team' });
    assert.equal((await projects(token, own)).status, 200);
  });

  it('blocks writes at once when billing turns read-only', async () => {
    const user = await createUser(t);
    const own = await createWorkspace(t, user);
    const token = await createToken(t, user, own);
    await warm(token, own);
    await setPlan(t, own.id, { billing_status: 'read_only' });
    const write = await t
      .http()
      .post('/api/v1/projects')
      .set('Authorization', token.bearer)
      .set('X-Workspace-Id', own.id)
      .send({ name: 'Late', identifier: 'late' });
    assertError(write, 402, 'workspace_read_only');
  });

  it('applies a role change and a removal from the workspace at once', async () => {
    const member = await createUser(t);
    await addMember(t, ws, owner, member, 'member');
    const token = await createToken(t, member, ws);
    await warm(token);
    const demote = await t
      .http()
      .patch(`/api/v1/workspaces/${ws.id}/members/${member.id}`)
      .set('Authorization', owner.basic)
      .send({ role: 'viewer' });
    assert.equal(demote.status, 200);
    assertError(await projects(token), 403, 'forbidden');
    const promote = await t
      .http()
      .patch(`/api/v1/workspaces/${ws.id}/members/${member.id}`)
      .set('Authorization', owner.basic)
      .send({ role: 'member' });
    assert.equal(promote.status, 200);
    assert.equal((await projects(token)).status, 200);
    const remove = await t
      .http()
      .delete(`/api/v1/workspaces/${ws.id}/members/${member.id}`)
      .set('Authorization', owner.basic);
    assert.equal(remove.status, 204);
    assertError(await projects(token), 401, 'token_revoked');
  });

  it('applies admin settings at once', async () => {
    const token = await createToken(t, owner, ws);
    const ok = await t.http().get(`/api/v1/me?key=${token.token}`);
    assert.equal(ok.status, 200);
    const off = await t
      .http()
      .patch('/api/v1/admin/settings')
      .set('Authorization', t.adminBasic)
      .send({ allow_query_key: false });
    assert.equal(off.status, 200);
    assertError(await t.http().get(`/api/v1/me?key=${token.token}`), 401, 'invalid_token');
    const on = await t
      .http()
      .patch('/api/v1/admin/settings')
      .set('Authorization', t.adminBasic)
      .send({ allow_query_key: true });
    assert.equal(on.status, 200);
  });
});
