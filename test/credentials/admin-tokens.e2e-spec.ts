import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { adminAuditEvents, adminUser } from './credential-helpers';

interface TokenBody {
  id: string;
  user_id: string;
  workspace_id: string | null;
  state: string;
  token_prefix: string;
}

describe('Admin token management (SPEC §8)', () => {
  let t: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let aliceWs: TestWorkspace;
  let bobWs: TestWorkspace;
  let aliceActive: TestToken;
  let aliceRevoked: TestToken;
  let bobActive: TestToken;
  let adminToken: TestToken;

  before(async () => {
    t = await startTestApp();
    admin = await adminUser(t);
    alice = await createUser(t);
    bob = await createUser(t);
    aliceWs = await createWorkspace(t, alice);
    bobWs = await createWorkspace(t, bob);
    aliceActive = await createToken(t, alice, aliceWs, { scopes: ['read'] });
    aliceRevoked = await createToken(t, alice, aliceWs, { scopes: ['read'] });
    bobActive = await createToken(t, bob, bobWs, { scopes: ['read', 'write', 'delete'] });
    adminToken = await createToken(t, admin, null, { scopes: ['admin'] });
    const revoke = await t
      .http()
      .delete(`/api/v1/tokens/${aliceRevoked.id}`)
      .set('Authorization', alice.basic)
      .set('X-Workspace-Id', aliceWs.id);
    assert.equal(revoke.status, 204);
  });
  after(() => t.close());

  async function list(query: Record<string, string> = {}): Promise<TokenBody[]> {
    const res = await t
      .http()
      .get('/api/v1/admin/tokens')
      .query({ limit: '100', ...query })
      .set('Authorization', t.adminBasic);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data as TokenBody[];
  }
  const ids = (rows: TokenBody[]): string[] => rows.map((r) => r.id).sort();

  describe('GET /api/v1/admin/tokens', () => {
    it('lists the tokens of every user and workspace, without secrets', async () => {
      const res = await t.http().get('/api/v1/admin/tokens').set('Authorization', t.adminBasic);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.total_count, 4);
      assert.equal(res.body.offset, 0);
      assert.equal(res.body.limit, 25);
      assert.deepEqual(
        ids(res.body.data as TokenBody[]),
        [aliceActive.id, aliceRevoked.id, bobActive.id, adminToken.id].sort(),
      );
      const text = JSON.stringify(res.body);
      for (const token of [aliceActive, aliceRevoked, bobActive, adminToken]) {
        assert.ok(!text.includes(token.token), 'no token secret in the list');
      }
      for (const row of res.body.data as Array<Record<string, unknown>>) {
        assert.equal(row.token, undefined);
        assert.equal(row.token_hash, undefined);
      }
    });

    it('filters by ?user_id', async () => {
      const rows = await list({ user_id: alice.id });
      assert.deepEqual(ids(rows), [aliceActive.id, aliceRevoked.id].sort());
      assert.ok(rows.every((r) => r.user_id === alice.id));
    });

    it('filters by ?workspace_id', async () => {
      const rows = await list({ workspace_id: bobWs.id });
      assert.deepEqual(ids(rows), [bobActive.id]);
      assert.ok(rows.every((r) => r.workspace_id === bobWs.id));
    });

    it('filters by ?state=revoked and ?state=active', async () => {
      const revoked = await list({ state: 'revoked' });
      assert.ok(revoked.some((r) => r.id === aliceRevoked.id));
      assert.ok(revoked.every((r) => r.state === 'revoked'));
      assert.ok(!revoked.some((r) => r.id === aliceActive.id || r.id === bobActive.id));
      const active = await list({ state: 'active', user_id: alice.id });
      assert.deepEqual(ids(active), [aliceActive.id]);
    });

    it('returns 400 validation_failed for a user_id that is not a UUID or an unknown state', async () => {
      for (const query of [{ user_id: 'alice' }, { workspace_id: '42' }, { state: 'gone' }]) {
        const res = await t
          .http()
          .get('/api/v1/admin/tokens')
          .query(query)
          .set('Authorization', t.adminBasic);
        assertError(res, 400, 'validation_failed');
      }
    });

    it('works with an admin token that has the admin scope', async () => {
      const res = await t
        .http()
        .get('/api/v1/admin/tokens')
        .query({ user_id: bob.id })
        .set('Authorization', adminToken.bearer);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(ids(res.body.data as TokenBody[]), [bobActive.id]);
    });

    it('returns 403 forbidden to a user who is not an instance admin', async () => {
      assertError(
        await t.http().get('/api/v1/admin/tokens').set('Authorization', alice.basic),
        403,
        'forbidden',
      );
    });

    it('returns 403 insufficient_scope to a workspace token', async () => {
      assertError(
        await t.http().get('/api/v1/admin/tokens').set('Authorization', bobActive.bearer),
        403,
        'insufficient_scope',
      );
    });
  });

  describe('DELETE /api/v1/admin/tokens/:id', () => {
    it('returns 403 forbidden to a user who is not an instance admin and keeps the token', async () => {
      const res = await t
        .http()
        .delete(`/api/v1/admin/tokens/${bobActive.id}`)
        .set('Authorization', alice.basic);
      assertError(res, 403, 'forbidden');
      const own = await t
        .http()
        .delete(`/api/v1/admin/tokens/${bobActive.id}`)
        .set('Authorization', bob.basic);
      assertError(own, 403, 'forbidden');
      assert.equal(
        (await t.http().get('/api/v1/me').set('Authorization', bobActive.bearer)).status,
        200,
      );
    });

    it('revokes any user’s token: 204, then 401 token_revoked on its next request', async () => {
      assert.equal(
        (await t.http().get('/api/v1/me').set('Authorization', bobActive.bearer)).status,
        200,
      );
      const res = await t
        .http()
        .delete(`/api/v1/admin/tokens/${bobActive.id}`)
        .set('Authorization', t.adminBasic);
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.equal(res.text, '');
      assertError(
        await t.http().get('/api/v1/me').set('Authorization', bobActive.bearer),
        401,
        'token_revoked',
      );
      assertError(
        await t.http().get('/api/v1/me').set('X-API-Key', bobActive.token),
        401,
        'token_revoked',
      );
      const [row] = await list({ workspace_id: bobWs.id });
      assert.equal(row.state, 'revoked');
      const events = await adminAuditEvents(t, { action: 'token.revoked' });
      const event = events.find((e) => e.target_id === bobActive.id);
      assert.ok(event, JSON.stringify(events));
      assert.equal(event.actor_id, admin.id);
      assert.equal(event.metadata?.owner_id, bob.id);
      assert.equal(event.workspace_id, bobWs.id);
    });

    it('returns 404 not_found for a token nobody issued', async () => {
      const res = await t
        .http()
        .delete('/api/v1/admin/tokens/00000000-0000-4000-8000-000000000000')
        .set('Authorization', t.adminBasic);
      assertError(res, 404, 'not_found');
    });
  });
});
