import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  expireToken,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';

/** GET /api/v1/tokens{path} as `auth` in `ws`. */
function getTokens(t: TestApp, path: string, auth: string, ws: TestWorkspace): request.Test {
  return t
    .http()
    .get(`/api/v1/tokens${path}`)
    .set('Authorization', auth)
    .set('X-Workspace-Id', ws.id);
}

const idsOf = (res: request.Response): string[] =>
  (res.body.data as Array<{ id: string }>).map((token) => token.id).sort();

describe('Reading API tokens', () => {
  let t: TestApp;
  let alice: TestUser; // owner
  let bob: TestUser; // member
  let ws: TestWorkspace;
  let otherWs: TestWorkspace;
  let active: TestToken;
  let revoked: TestToken;
  let expired: TestToken;
  let bobs: TestToken;
  let elsewhere: TestToken;

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    bob = await createUser(t);
    ws = await createWorkspace(t, alice, { plan: 'enterprise' });
    otherWs = await createWorkspace(t, alice, { plan: 'enterprise' });
    await addMember(t, ws, alice, bob, 'member');
    active = await createToken(t, alice, ws, { name: 'active', scopes: ['read'] });
    revoked = await createToken(t, alice, ws, { name: 'revoked' });
    expired = await createToken(t, alice, ws, { name: 'expired' });
    bobs = await createToken(t, bob, ws, { name: 'bob' });
    elsewhere = await createToken(t, alice, otherWs, { name: 'elsewhere' });
    const del = await t
      .http()
      .delete(`/api/v1/tokens/${revoked.id}`)
      .set('Authorization', alice.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(del.status, 204);
    await expireToken(t, expired.id);
  });
  after(() => t.close());

  describe('GET /api/v1/tokens', () => {
    it('lists only the caller’s own active tokens of this workspace by default', async () => {
      const res = await getTokens(t, '', alice.basic, ws);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(idsOf(res), [active.id]);
      assert.equal(res.body.total_count, 1);
      assert.equal(res.body.offset, 0);
      assert.equal(res.body.limit, 25);
      assert.equal(res.body.data[0].state, 'active');
      assert.equal(res.body.data[0].user_id, alice.id);
    });

    it('lists a member’s own tokens only', async () => {
      const res = await getTokens(t, '', bob.basic, ws);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(idsOf(res), [bobs.id]);
    });

    it('lists revoked tokens with ?state=revoked', async () => {
      const res = await getTokens(t, '?state=revoked', alice.basic, ws);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(idsOf(res), [revoked.id]);
      assert.equal(res.body.data[0].state, 'revoked');
      assert.ok(Date.parse(res.body.data[0].revoked_at) <= Date.now());
    });

    it('lists expired tokens with ?state=expired', async () => {
      const res = await getTokens(t, '?state=expired', alice.basic, ws);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(idsOf(res), [expired.id]);
      assert.equal(res.body.data[0].state, 'expired');
      assert.equal(res.body.data[0].revoked_at, null);
    });

    it('lists every own token of this workspace with ?state=all', async () => {
      const res = await getTokens(t, '?state=all', alice.basic, ws);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(idsOf(res), [active.id, revoked.id, expired.id].sort());
      assert.equal(res.body.total_count, 3);
      assert.ok(!idsOf(res).includes(elsewhere.id), 'tokens of other workspaces stay out');
    });

    it('shows other members’ tokens to an owner with ?all=true', async () => {
      const res = await getTokens(t, '?all=true', alice.basic, ws);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(idsOf(res), [active.id, bobs.id].sort());
      const everything = await getTokens(t, '?all=true&state=all', alice.basic, ws);
      assert.deepEqual(idsOf(everything), [active.id, revoked.id, expired.id, bobs.id].sort());
    });

    it('returns 403 forbidden to a member asking for ?all=true', async () => {
      const res = await getTokens(t, '?all=true', bob.basic, ws);
      assertError(res, 403, 'forbidden');
    });

    it('works with a read-only token of the workspace', async () => {
      const res = await getTokens(t, '?state=all', active.bearer, ws);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(idsOf(res), [active.id, revoked.id, expired.id].sort());
    });

    it('pages with offset and limit and reports total_count', async () => {
      const carol = await createUser(t);
      await addMember(t, ws, alice, carol, 'member');
      const created = [];
      for (let i = 0; i < 3; i++) {
        created.push((await createToken(t, carol, ws, { name: `page ${i}` })).id);
      }
      const first = await getTokens(t, '?limit=2', carol.basic, ws);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.data.length, 2);
      assert.equal(first.body.total_count, 3);
      assert.equal(first.body.offset, 0);
      assert.equal(first.body.limit, 2);
      const second = await getTokens(t, '?limit=2&offset=2', carol.basic, ws);
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.data.length, 1);
      assert.equal(second.body.total_count, 3);
      assert.equal(second.body.offset, 2);
      assert.equal(second.body.limit, 2);
      assert.deepEqual([...idsOf(first), ...idsOf(second)].sort(), created.sort());
      const beyond = await getTokens(t, '?offset=10', carol.basic, ws);
      assert.deepEqual(beyond.body.data, []);
      assert.equal(beyond.body.total_count, 3);
    });

    const badQueries: Array<[string, string]> = [
      ['?limit=101', 'limit'],
      ['?limit=0', 'limit'],
      ['?offset=-1', 'offset'],
      ['?state=deleted', 'state'],
      ['?all=yes', 'all'],
      ['?sort=name', 'sort'],
    ];
    for (const [query, field] of badQueries) {
      it(`returns 400 validation_failed for ${query}`, async () => {
        const res = await getTokens(t, query, alice.basic, ws);
        assertError(res, 400, 'validation_failed');
        assert.ok(
          (res.body.details as Array<{ field: string }>).some((d) => d.field === field),
          JSON.stringify(res.body.details),
        );
      });
    }

    it('returns 401 missing_credentials without credentials', async () => {
      const res = await t.http().get('/api/v1/tokens').set('X-Workspace-Id', ws.id);
      assertError(res, 401, 'missing_credentials');
    });
  });

  describe('GET /api/v1/tokens/:id', () => {
    it('returns the caller’s own token, the same object the create response described', async () => {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set('Authorization', alice.basic)
        .set('X-Workspace-Id', ws.id)
        .send({ name: 'same', scopes: ['read', 'delete'], expires_in_days: 10 });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const described = { ...res.body };
      delete described.token;
      const got = await getTokens(t, `/${res.body.id as string}`, alice.basic, ws);
      assert.equal(got.status, 200, JSON.stringify(got.body));
      assert.deepEqual(got.body, described);
    });

    it('returns 404 not_found to a member for another member’s token', async () => {
      const res = await getTokens(t, `/${active.id}`, bob.basic, ws);
      assertError(res, 404, 'not_found');
    });

    it('returns another member’s token to the workspace owner', async () => {
      const res = await getTokens(t, `/${bobs.id}`, alice.basic, ws);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, bobs.id);
      assert.equal(res.body.user_id, bob.id);
    });

    it('returns 404 not_found for a token of another workspace', async () => {
      const res = await getTokens(t, `/${elsewhere.id}`, alice.basic, ws);
      assertError(res, 404, 'not_found');
    });

    it('returns 404 not_found for an id that is not a UUID', async () => {
      const res = await getTokens(t, '/not-a-uuid', alice.basic, ws);
      assertError(res, 404, 'not_found');
    });

    it('returns 404 not_found for a UUID nobody issued', async () => {
      const res = await getTokens(t, `/${randomUUID()}`, alice.basic, ws);
      assertError(res, 404, 'not_found');
    });

    it('shows revoked and expired tokens with their state', async () => {
      const gone = await getTokens(t, `/${revoked.id}`, alice.basic, ws);
      assert.equal(gone.status, 200, JSON.stringify(gone.body));
      assert.equal(gone.body.state, 'revoked');
      const old = await getTokens(t, `/${expired.id}`, alice.basic, ws);
      assert.equal(old.status, 200, JSON.stringify(old.body));
      assert.equal(old.body.state, 'expired');
    });
  });

  describe('GET /api/v1/tokens/self', () => {
    it('returns the bearer token the request was made with', async () => {
      const res = await getTokens(t, '/self', active.bearer, ws);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, active.id);
      assert.equal(res.body.name, 'active');
      assert.deepEqual(res.body.scopes, ['read']);
      assert.equal(res.body.workspace_id, ws.id);
      assert.equal(res.body.token, undefined);
    });

    it('returns the token given as the password of Basic auth', async () => {
      const res = await getTokens(t, '/self', basicAuth('anyone', bobs.token), ws);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, bobs.id);
      assert.equal(res.body.user_id, bob.id);
    });

    it('returns 404 not_found for a request authenticated with a password', async () => {
      const res = await getTokens(t, '/self', alice.basic, ws);
      assertError(res, 404, 'not_found');
    });
  });
});
