import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { TokenUsageRecorder } from '../../src/tokens/token-usage.recorder';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  expireToken,
  setPlan,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

/** `method` /api/v1/tokens{path} as `auth` in `ws`. */
function tokensCall(
  t: TestApp,
  method: 'get' | 'post' | 'delete',
  path: string,
  auth: string,
  ws: TestWorkspace,
): request.Test {
  const agent = t.http();
  return agent[method](`/api/v1/tokens${path}`)
    .set('Authorization', auth)
    .set('X-Workspace-Id', ws.id);
}

function me(t: TestApp, token: TestToken | string): request.Test {
  const bearer = typeof token === 'string' ? `Bearer ${token}` : token.bearer;
  return t.http().get('/api/v1/me').set('Authorization', bearer);
}

describe('API token lifecycle', () => {
  let t: TestApp;
  let alice: TestUser; // owner
  let bob: TestUser; // member
  let ws: TestWorkspace;

  before(async () => {
    // No background flush during the run: the usage tests decide when usage is written.
    t = await startTestApp({ env: { TOKEN_USAGE_FLUSH_MS: '3600000' } });
    alice = await createUser(t);
    bob = await createUser(t);
    ws = await createWorkspace(t, alice, { plan: 'enterprise' });
    await addMember(t, ws, alice, bob, 'member');
  });
  after(() => t.close());

  describe('POST /api/v1/tokens/:id/rotate', () => {
    it('returns 201 with a new token of the same name, scopes, workspace and expiry', async () => {
      const old = await createToken(t, alice, ws, { name: 'deploy', scopes: ['read', 'write'] });
      const before = await tokensCall(t, 'get', `/${old.id}`, alice.basic, ws);
      const res = await tokensCall(t, 'post', `/${old.id}/rotate`, alice.basic, ws).send({});
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const token = res.body.token as string;
      assert.match(token, /^ts_[0-9A-Za-z]{32}$/);
      assert.notEqual(token, old.token);
      assert.notEqual(res.body.id, old.id);
      assert.equal(res.body.token_prefix, token.slice(0, 11));
      assert.equal(res.body.name, 'deploy');
      assert.deepEqual(res.body.scopes, ['read', 'write']);
      assert.equal(res.body.workspace_id, ws.id);
      assert.equal(res.body.user_id, alice.id);
      assert.equal(res.body.state, 'active');
      assert.equal(res.body.expires_at, before.body.expires_at);
      assert.equal((await me(t, token)).status, 200);
    });

    it('with grace_seconds 0 refuses the old token on the next request with 401 token_revoked', async () => {
      const old = await createToken(t, alice, ws);
      const res = await tokensCall(t, 'post', `/${old.id}/rotate`, old.bearer, ws).send({
        grace_seconds: 0,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assertError(await me(t, old), 401, 'token_revoked');
      const fresh = await me(t, res.body.token as string);
      assert.equal(fresh.status, 200);
      assert.equal(fresh.body.auth.token_id, res.body.id);
    });

    it('with grace_seconds 60 keeps the old token working next to the new one', async () => {
      const old = await createToken(t, alice, ws);
      const res = await tokensCall(t, 'post', `/${old.id}/rotate`, alice.basic, ws).send({
        grace_seconds: 60,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const stillOld = await me(t, old);
      assert.equal(stillOld.status, 200, JSON.stringify(stillOld.body));
      assert.equal(stillOld.body.auth.token_id, old.id);
      assert.equal((await me(t, res.body.token as string)).status, 200);
      const described = await tokensCall(t, 'get', `/${old.id}`, alice.basic, ws);
      assert.equal(described.body.state, 'active');
      const revokesIn = Date.parse(described.body.revoked_at) - Date.now();
      assert.ok(revokesIn > 50_000 && revokesIn <= 60_000, `revoked_at ${revokesIn} ms ahead`);
    });

    it('returns 409 conflict for a token that was already rotated (even in its grace period)', async () => {
      const old = await createToken(t, alice, ws);
      const first = await tokensCall(t, 'post', `/${old.id}/rotate`, alice.basic, ws).send({
        grace_seconds: 60,
      });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const again = await tokensCall(t, 'post', `/${old.id}/rotate`, alice.basic, ws).send({
        grace_seconds: 60,
      });
      assertError(again, 409, 'conflict');
    });

    it('lets exactly one of two concurrent rotations of a token win', async () => {
      const old = await createToken(t, alice, ws, { name: 'race' });
      const [a, b] = await Promise.all(
        [1, 2].map(() =>
          tokensCall(t, 'post', `/${old.id}/rotate`, alice.basic, ws).send({ grace_seconds: 60 }),
        ),
      );
      assert.deepEqual(
        [a.status, b.status].sort(),
        [201, 409],
        `${JSON.stringify(a.body)} ${JSON.stringify(b.body)}`,
      );
      assertError(a.status === 409 ? a : b, 409, 'conflict');
      const winner = (a.status === 201 ? a : b).body.id as string;
      const rows: Array<{ id: string }> = await t.dataSource.query(
        'SELECT id FROM api_tokens WHERE name = ? AND user_id = ?',
        ['race', alice.id],
      );
      assert.deepEqual(
        rows.map((row) => row.id).sort(),
        [old.id, winner].sort(),
        'the losing rotation left no token behind',
      );
    });

    it('returns 409 conflict for a revoked or an expired token', async () => {
      const revoked = await createToken(t, alice, ws);
      const del = await tokensCall(t, 'delete', `/${revoked.id}`, alice.basic, ws);
      assert.equal(del.status, 204);
      assertError(
        await tokensCall(t, 'post', `/${revoked.id}/rotate`, alice.basic, ws).send({}),
        409,
        'conflict',
      );
      const expired = await createToken(t, alice, ws);
      await expireToken(t, expired.id);
      assertError(
        await tokensCall(t, 'post', `/${expired.id}/rotate`, alice.basic, ws).send({}),
        409,
        'conflict',
      );
    });

    for (const grace of [86401, -1, 1.5]) {
      it(`returns 400 validation_failed for grace_seconds ${grace}`, async () => {
        const old = await createToken(t, alice, ws);
        const res = await tokensCall(t, 'post', `/${old.id}/rotate`, alice.basic, ws).send({
          grace_seconds: grace,
        });
        assertError(res, 400, 'validation_failed');
        assert.ok(
          (res.body.details as Array<{ field: string }>).some((d) => d.field === 'grace_seconds'),
          JSON.stringify(res.body.details),
        );
        assert.equal((await me(t, old)).status, 200, 'a refused rotation changes nothing');
      });
    }

    it('returns 404 not_found when the owner tries to rotate a member’s token', async () => {
      // Rotation hands out the new secret, so only the token's own user may rotate it.
      const bobs = await createToken(t, bob, ws);
      const res = await tokensCall(t, 'post', `/${bobs.id}/rotate`, alice.basic, ws).send({});
      assertError(res, 404, 'not_found');
      assert.equal((await me(t, bobs)).status, 200);
    });

    it('returns 403 insufficient_scope for a read-only token', async () => {
      const reader = await createToken(t, alice, ws, { scopes: ['read'] });
      const res = await tokensCall(t, 'post', `/${reader.id}/rotate`, reader.bearer, ws).send({});
      assertError(res, 403, 'insufficient_scope');
    });
  });

  describe('DELETE /api/v1/tokens/:id', () => {
    it('returns 204 and the token is refused on the next request with 401 token_revoked', async () => {
      const token = await createToken(t, alice, ws);
      assert.equal((await me(t, token)).status, 200);
      const res = await tokensCall(t, 'delete', `/${token.id}`, alice.basic, ws);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      assertError(await me(t, token), 401, 'token_revoked');
      const described = await tokensCall(t, 'get', `/${token.id}`, alice.basic, ws);
      assert.equal(described.body.state, 'revoked');
    });

    it('works from clients that send Content-Type: application/json without a body (revoke 204, rotate 201)', async () => {
      const token = await createToken(t, alice, ws);
      const rotated = await tokensCall(t, 'post', `/${token.id}/rotate`, alice.basic, ws).set(
        'Content-Type',
        'application/json',
      );
      assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
      const res = await tokensCall(
        t,
        'delete',
        `/${rotated.body.id as string}`,
        alice.basic,
        ws,
      ).set('Content-Type', 'application/json');
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assertError(await me(t, rotated.body.token as string), 401, 'token_revoked');
    });

    it('is idempotent: a second DELETE is 204 and keeps the first revoked_at', async () => {
      const token = await createToken(t, alice, ws);
      assert.equal((await tokensCall(t, 'delete', `/${token.id}`, alice.basic, ws)).status, 204);
      const first = await tokensCall(t, 'get', `/${token.id}`, alice.basic, ws);
      assert.equal((await tokensCall(t, 'delete', `/${token.id}`, alice.basic, ws)).status, 204);
      const second = await tokensCall(t, 'get', `/${token.id}`, alice.basic, ws);
      assert.equal(second.body.revoked_at, first.body.revoked_at);
    });

    it('lets a token revoke itself', async () => {
      const token = await createToken(t, bob, ws);
      const res = await tokensCall(t, 'delete', `/${token.id}`, token.bearer, ws);
      assert.equal(res.status, 204);
      assertError(await me(t, token), 401, 'token_revoked');
    });

    it('lets the owner revoke a member’s token, but not a member the owner’s', async () => {
      const bobs = await createToken(t, bob, ws);
      const alices = await createToken(t, alice, ws);
      assertError(await tokensCall(t, 'delete', `/${alices.id}`, bob.basic, ws), 404, 'not_found');
      assert.equal((await me(t, alices)).status, 200);
      assert.equal((await tokensCall(t, 'delete', `/${bobs.id}`, alice.basic, ws)).status, 204);
      assertError(await me(t, bobs), 401, 'token_revoked');
    });

    it('returns 404 not_found for a token of another workspace', async () => {
      const other = await createWorkspace(t, alice, { plan: 'enterprise' });
      const elsewhere = await createToken(t, alice, other);
      const res = await tokensCall(t, 'delete', `/${elsewhere.id}`, alice.basic, ws);
      assertError(res, 404, 'not_found');
      assert.equal((await me(t, elsewhere)).status, 200);
    });

    it('returns 403 insufficient_scope for a token without the delete scope', async () => {
      const writer = await createToken(t, alice, ws, { scopes: ['read', 'write'] });
      const res = await tokensCall(t, 'delete', `/${writer.id}`, writer.bearer, ws);
      assertError(res, 403, 'insufficient_scope');
    });
  });

  describe('read-only billing', () => {
    it('still revokes tokens (204) while POST /tokens and rotation get 402 workspace_read_only', async () => {
      const owner = await createUser(t);
      const billed = await createWorkspace(t, owner, { plan: 'pro' });
      const keep = await createToken(t, owner, billed);
      const drop = await createToken(t, owner, billed);
      await setPlan(t, billed.id, { billing_status: 'read_only' });

      const create = await tokensCall(t, 'post', '', owner.basic, billed).send({
        name: 'late',
        scopes: ['read'],
        expires_in_days: 30,
      });
      assertError(create, 402, 'workspace_read_only');
      const rotate = await tokensCall(t, 'post', `/${keep.id}/rotate`, owner.basic, billed).send(
        {},
      );
      assertError(rotate, 402, 'workspace_read_only');

      const list = await tokensCall(t, 'get', '', keep.bearer, billed);
      assert.equal(list.status, 200, 'reads still work');
      assert.equal(list.body.total_count, 2);

      const revoke = await tokensCall(t, 'delete', `/${drop.id}`, owner.basic, billed);
      assert.equal(revoke.status, 204, JSON.stringify(revoke.body));
      assertError(await me(t, drop), 401, 'token_revoked');
      const self = await tokensCall(t, 'delete', `/${keep.id}`, keep.bearer, billed);
      assert.equal(self.status, 204, JSON.stringify(self.body));
      assertError(await me(t, keep), 401, 'token_revoked');
    });
  });

  describe('plans without API access (SPEC §6: nobody is kept from revoking a secret)', () => {
    for (const plan of ['free', 'solo_pro'] as const) {
      it(`revokes (204) on the ${plan} plan, also while read-only, with a password or the token itself`, async () => {
        const owner = await createUser(t);
        const downgraded = await createWorkspace(t, owner, { plan: 'pro' });
        const byPassword = await createToken(t, owner, downgraded);
        const byItself = await createToken(t, owner, downgraded);
        const other = await createToken(t, owner, downgraded);
        await setPlan(t, downgraded.id, { plan, billing_status: 'read_only' });

        // Everything else stays refused on this plan.
        assertError(await tokensCall(t, 'get', '', owner.basic, downgraded), 403, 'plan_required');
        const rotate = await tokensCall(t, 'post', `/${other.id}/rotate`, owner.basic, downgraded);
        assertError(rotate, 403, 'plan_required');

        const revoke = await tokensCall(t, 'delete', `/${byPassword.id}`, owner.basic, downgraded);
        assert.equal(revoke.status, 204, JSON.stringify(revoke.body));
        const self = await tokensCall(t, 'delete', `/${byItself.id}`, byItself.bearer, downgraded);
        assert.equal(self.status, 204, JSON.stringify(self.body));

        await setPlan(t, downgraded.id, { plan: 'pro', billing_status: 'active' });
        assertError(await me(t, byPassword), 401, 'token_revoked');
        assertError(await me(t, byItself), 401, 'token_revoked');
        assert.equal((await me(t, other)).status, 200, 'only the named tokens were revoked');
      });
    }
  });

  describe('last_used_at and last_used_ip', () => {
    it('are not written on the request path', async () => {
      const token = await createToken(t, alice, ws);
      for (let i = 0; i < 3; i++) {
        assert.equal((await me(t, token)).status, 200);
      }
      const rows: Array<Record<string, unknown>> = await t.dataSource.query(
        'SELECT last_used_at, last_used_ip FROM api_tokens WHERE id = ?',
        [token.id],
      );
      assert.equal(rows[0].last_used_at, null);
      assert.equal(rows[0].last_used_ip, null);
      const described = await tokensCall(t, 'get', `/${token.id}`, alice.basic, ws);
      assert.equal(described.body.last_used_at, null);
      assert.equal(described.body.last_used_ip, null);
    });

    it('show the last use once the usage recorder has flushed', async () => {
      const token = await createToken(t, alice, ws);
      const before = Math.floor(Date.now() / 1000) * 1000;
      assert.equal((await me(t, token)).status, 200);
      const after = Date.now();
      await t.app.get(TokenUsageRecorder).flush();
      const described = await tokensCall(t, 'get', `/${token.id}`, alice.basic, ws);
      assert.equal(described.status, 200);
      assert.equal(described.body.last_used_ip, '127.0.0.1');
      const usedAt = Date.parse(described.body.last_used_at);
      assert.ok(usedAt >= before && usedAt <= after, `last_used_at ${described.body.last_used_at}`);
    });

    it('do not record uses of other tokens or failed attempts against this one', async () => {
      const unused = await createToken(t, alice, ws);
      const revoked = await createToken(t, alice, ws);
      assert.equal((await tokensCall(t, 'delete', `/${revoked.id}`, alice.basic, ws)).status, 204);
      assertError(await me(t, revoked), 401, 'token_revoked');
      await t.app.get(TokenUsageRecorder).flush();
      for (const id of [unused.id, revoked.id]) {
        const described = await tokensCall(t, 'get', `/${id}`, alice.basic, ws);
        assert.equal(described.body.last_used_at, null);
        assert.equal(described.body.last_used_ip, null);
      }
    });
  });
});
