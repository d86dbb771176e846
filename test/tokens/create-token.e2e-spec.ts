import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const DAY_MS = 86_400_000;
const TOKEN_FIELDS = [
  'created_at',
  'expires_at',
  'expires_soon',
  'id',
  'last_used_at',
  'last_used_ip',
  'last_used_ips',
  'name',
  'policy_compliant',
  'revoked_at',
  'revoked_reason',
  'rate_limit',
  'allowed_cidrs',
  'project_ids',
  'quota',
  'quota_used',
  'scopes',
  'state',
  'token_prefix',
  'user_id',
  'workspace_id',
];

/** POST /api/v1/tokens as `auth`, in `ws` (no X-Workspace-Id when null). */
function postToken(
  t: TestApp,
  auth: string,
  ws: TestWorkspace | null,
  body: Record<string, unknown>,
): request.Test {
  const req = t.http().post('/api/v1/tokens').set('Authorization', auth);
  return (ws ? req.set('X-Workspace-Id', ws.id) : req).send(body);
}

/** A 400 validation_failed whose details name `field`. */
function assertInvalid(res: request.Response, field: string): void {
  assertError(res, 400, 'validation_failed');
  const details = res.body.details as Array<{ field: string; message: string }>;
  assert.ok(Array.isArray(details) && details.length > 0, JSON.stringify(res.body));
  assert.ok(
    details.some((d) => d.field === field && typeof d.message === 'string' && d.message.length),
    `expected a detail for ${field}, got ${JSON.stringify(details)}`,
  );
}

describe('POST /api/v1/tokens', () => {
  let t: TestApp;
  let alice: TestUser;
  let ws: TestWorkspace;

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    // Unlimited tokens, so this file never runs into the plan limit.
    ws = await createWorkspace(t, alice, { plan: 'enterprise' });
  });
  after(() => t.close());

  describe('the token secret', () => {
    it('returns 201 with a 35-character ts_ token whose first 11 characters are token_prefix', async () => {
      const before = Date.now();
      const res = await postToken(t, alice.basic, ws, {
        name: '  CI deploy  ',
        scopes: ['write', 'read'],
        expires_in_days: 30,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const token = res.body.token as string;
      assert.equal(token.length, 35);
      assert.match(token, /^ts_[0-9A-Za-z]{32}$/);
      assert.equal(res.body.token_prefix, token.slice(0, 11));
      assert.deepEqual(Object.keys(res.body).sort(), [...TOKEN_FIELDS, 'token'].sort());
      // The one response that holds the secret must not be kept by any cache.
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.body.name, 'CI deploy');
      assert.deepEqual(res.body.scopes, ['read', 'write']);
      assert.equal(res.body.workspace_id, ws.id);
      assert.equal(res.body.user_id, alice.id);
      assert.equal(res.body.state, 'active');
      assert.equal(res.body.last_used_at, null);
      assert.equal(res.body.last_used_ip, null);
      assert.equal(res.body.revoked_at, null);
      assert.equal(res.body.policy_compliant, true);
      const expires = Date.parse(res.body.expires_at);
      assert.ok(expires >= before + 30 * DAY_MS - 1000 && expires <= Date.now() + 30 * DAY_MS);
    });

    it('never shows the token string again in GET /tokens, GET /tokens/:id or GET /tokens/self', async () => {
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      const secretBody = token.token.slice(11);
      const responses = [
        await t
          .http()
          .get('/api/v1/tokens?state=all&limit=100')
          .set('Authorization', alice.basic)
          .set('X-Workspace-Id', ws.id),
        await t
          .http()
          .get(`/api/v1/tokens/${token.id}`)
          .set('Authorization', alice.basic)
          .set('X-Workspace-Id', ws.id),
        await t
          .http()
          .get('/api/v1/tokens/self')
          .set('Authorization', token.bearer)
          .set('X-Workspace-Id', ws.id),
      ];
      for (const res of responses) {
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const text = JSON.stringify(res.body);
        assert.ok(text.includes(token.id), 'the response is about this token');
        assert.ok(!text.includes(token.token), `token leaked in ${text}`);
        assert.ok(!text.includes(secretBody), `secret part leaked in ${text}`);
        const objects = Array.isArray(res.body.data) ? res.body.data : [res.body];
        for (const object of objects) {
          assert.ok(!('token' in object), 'no token field outside the create response');
        }
      }
    });

    it('stores only the SHA-256 hash of the token in api_tokens (and nowhere in audit_events)', async () => {
      const token = await createToken(t, alice, ws);
      const rows: Array<Record<string, unknown>> = await t.dataSource.query(
        'SELECT * FROM api_tokens WHERE id = ?',
        [token.id],
      );
      assert.equal(rows.length, 1);
      const row = rows[0];
      const expectedHash = createHash('sha256').update(token.token).digest('hex');
      assert.equal(row.token_hash, expectedHash);
      assert.equal(row.token_prefix, token.token.slice(0, 11));
      for (const [column, value] of Object.entries(row)) {
        assert.ok(
          !String(value).includes(token.token.slice(11)),
          `column ${column} holds the token string`,
        );
      }
      const audit: Array<Record<string, unknown>> = await t.dataSource.query(
        'SELECT * FROM audit_events WHERE target_id = ?',
        [token.id],
      );
      assert.ok(audit.length >= 1, 'token creation is audited');
      assert.ok(!JSON.stringify(audit).includes(token.token.slice(11)));
    });
  });

  describe('validation', () => {
    const withoutExpiry = { name: 'bot', scopes: ['read'] };
    const valid = { ...withoutExpiry, expires_in_days: 30 };
    const inDays = (days: number): string => new Date(Date.now() + days * DAY_MS).toISOString();

    it('returns 400 validation_failed when neither expires_in_days nor expires_at is given', async () => {
      const res = await postToken(t, alice.basic, ws, { name: 'bot', scopes: ['read'] });
      assertInvalid(res, 'expires_in_days');
    });

    it('returns 400 validation_failed when both expires_in_days and expires_at are given', async () => {
      const res = await postToken(t, alice.basic, ws, { ...valid, expires_at: inDays(10) });
      assertInvalid(res, 'expires_at');
    });

    it('returns 400 validation_failed for expires_in_days 0', async () => {
      const res = await postToken(t, alice.basic, ws, { ...valid, expires_in_days: 0 });
      assertInvalid(res, 'expires_in_days');
    });

    it('returns 400 validation_failed for expires_in_days 366', async () => {
      const res = await postToken(t, alice.basic, ws, { ...valid, expires_in_days: 366 });
      assertInvalid(res, 'expires_in_days');
    });

    it('accepts expires_in_days 1 and 365, the bounds of SPEC §5', async () => {
      for (const days of [1, 365]) {
        const res = await postToken(t, alice.basic, ws, { ...valid, expires_in_days: days });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
    });

    it('returns 400 validation_failed for expires_at in the past', async () => {
      const res = await postToken(t, alice.basic, ws, { ...withoutExpiry, expires_at: inDays(-1) });
      assertInvalid(res, 'expires_at');
    });

    it('returns 400 validation_failed for expires_at less than a day ahead', async () => {
      const res = await postToken(t, alice.basic, ws, {
        ...withoutExpiry,
        expires_at: inDays(0.5),
      });
      assertInvalid(res, 'expires_at');
    });

    it('returns 400 validation_failed for expires_at more than 365 days ahead', async () => {
      const res = await postToken(t, alice.basic, ws, {
        ...withoutExpiry,
        expires_at: inDays(366),
      });
      assertInvalid(res, 'expires_at');
    });

    it('returns 400 validation_failed for an expires_at that is not a date', async () => {
      const res = await postToken(t, alice.basic, ws, {
        ...withoutExpiry,
        expires_at: 'next tuesday',
      });
      assertInvalid(res, 'expires_at');
    });

    it('accepts expires_at within range and stores that instant', async () => {
      const at = new Date(Math.floor((Date.now() + 90 * DAY_MS) / 1000) * 1000).toISOString();
      const res = await postToken(t, alice.basic, ws, { ...withoutExpiry, expires_at: at });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.expires_at, at);
    });

    it('returns 400 validation_failed for an unknown scope', async () => {
      const res = await postToken(t, alice.basic, ws, { ...valid, scopes: ['read', 'superuser'] });
      assertInvalid(res, 'scopes');
    });

    it('returns 400 validation_failed for empty scopes', async () => {
      const res = await postToken(t, alice.basic, ws, { ...valid, scopes: [] });
      assertInvalid(res, 'scopes');
    });

    it('returns 400 validation_failed for a missing name', async () => {
      const res = await postToken(t, alice.basic, ws, { scopes: ['read'], expires_in_days: 30 });
      assertInvalid(res, 'name');
    });

    it('returns 400 validation_failed for a blank name', async () => {
      const res = await postToken(t, alice.basic, ws, { ...valid, name: '   ' });
      assertInvalid(res, 'name');
    });

    it('returns 400 validation_failed for a name over 100 characters', async () => {
      const res = await postToken(t, alice.basic, ws, { ...valid, name: 'n'.repeat(101) });
      assertInvalid(res, 'name');
    });

    it('returns 400 validation_failed for repeated scopes', async () => {
      const res = await postToken(t, alice.basic, ws, { ...valid, scopes: ['read', 'read'] });
      assertInvalid(res, 'scopes');
    });

    it('returns 400 validation_failed for an unknown extra property', async () => {
      const res = await postToken(t, alice.basic, ws, { ...valid, owner_id: alice.id });
      assertInvalid(res, 'owner_id');
    });
  });

  describe('a token minting tokens', () => {
    it('returns 403 insufficient_scope when a read-only token tries to create a token', async () => {
      const reader = await createToken(t, alice, ws, { scopes: ['read'] });
      const res = await postToken(t, reader.bearer, ws, {
        name: 'copy',
        scopes: ['read'],
        expires_in_days: 1,
      });
      assertError(res, 403, 'insufficient_scope');
      assert.match(String(res.headers['www-authenticate']), /error="insufficient_scope"/);
      assert.match(String(res.headers['www-authenticate']), /scope="write"/);
    });

    it('returns 403 forbidden when a read+write token asks for the delete scope', async () => {
      const writer = await createToken(t, alice, ws, { scopes: ['read', 'write'] });
      const res = await postToken(t, writer.bearer, ws, {
        name: 'wider',
        scopes: ['read', 'write', 'delete'],
        expires_in_days: 7,
      });
      assertError(res, 403, 'forbidden');
    });

    it('returns 403 forbidden when a read+write token asks for the admin scope', async () => {
      const writer = await createToken(t, alice, ws, { scopes: ['read', 'write'] });
      const res = await postToken(t, writer.bearer, ws, {
        name: 'admin',
        scopes: ['admin'],
        expires_in_days: 7,
      });
      assertError(res, 403, 'forbidden');
    });

    it('returns 403 forbidden when a 30-day token asks for a 60-day token', async () => {
      const writer = await createToken(t, alice, ws, { scopes: ['read', 'write'], days: 30 });
      const res = await postToken(t, writer.bearer, ws, {
        name: 'longer',
        scopes: ['read'],
        expires_in_days: 60,
      });
      assertError(res, 403, 'forbidden');
    });

    it('returns 403 forbidden when a 30-day token asks for an expires_at past its own expiry', async () => {
      const writer = await createToken(t, alice, ws, { scopes: ['read', 'write'], days: 30 });
      const res = await postToken(t, writer.bearer, ws, {
        name: 'longer',
        scopes: ['read'],
        expires_at: new Date(Date.now() + 31 * DAY_MS).toISOString(),
      });
      assertError(res, 403, 'forbidden');
    });

    it('lets a read+write token create a read-only token that expires before it', async () => {
      const writer = await createToken(t, alice, ws, { scopes: ['read', 'write'], days: 30 });
      const res = await postToken(t, writer.bearer, ws, {
        name: 'narrower',
        scopes: ['read'],
        expires_in_days: 29,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.scopes, ['read']);
      assert.equal(res.body.workspace_id, ws.id);
      assert.equal(res.body.user_id, alice.id);
      const me = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', `Bearer ${res.body.token as string}`);
      assert.equal(me.status, 200);
      assert.deepEqual(me.body.auth.scopes, ['read']);
    });
  });

  describe('roles', () => {
    let viewer: TestUser;
    let member: TestUser;

    before(async () => {
      viewer = await createUser(t);
      member = await createUser(t);
      await addMember(t, ws, alice, viewer, 'viewer');
      await addMember(t, ws, alice, member, 'member');
    });

    it('returns 403 forbidden for a viewer', async () => {
      const res = await postToken(t, viewer.basic, ws, {
        name: 'viewer',
        scopes: ['read'],
        expires_in_days: 30,
      });
      assertError(res, 403, 'forbidden');
    });

    it('creates a token for a member', async () => {
      const res = await postToken(t, member.basic, ws, {
        name: 'member',
        scopes: ['read', 'write'],
        expires_in_days: 30,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.user_id, member.id);
      assert.equal(res.body.workspace_id, ws.id);
    });

    it('refuses the token of a member who was demoted to viewer with 403 forbidden', async () => {
      const demoted = await createUser(t);
      await addMember(t, ws, alice, demoted, 'member');
      const token = await createToken(t, demoted, ws, { scopes: ['read'] });
      const patch = await t
        .http()
        .patch(`/api/v1/workspaces/${ws.id}/members/${demoted.id}`)
        .set('Authorization', alice.basic)
        .send({ role: 'viewer' });
      assert.equal(patch.status, 200, JSON.stringify(patch.body));
      const res = await t
        .http()
        .get('/api/v1/tokens/self')
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', ws.id);
      assertError(res, 403, 'forbidden');
    });
  });

  describe('instance tokens and X-Workspace-Id', () => {
    it('lets the instance admin create an instance token (workspace_id null) without X-Workspace-Id', async () => {
      const res = await postToken(t, t.adminBasic, null, {
        name: 'automation',
        scopes: ['read', 'admin'],
        expires_in_days: 30,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.workspace_id, null);
      const self = await t
        .http()
        .get('/api/v1/tokens/self')
        .set('Authorization', `Bearer ${res.body.token as string}`);
      assert.equal(self.status, 200, JSON.stringify(self.body));
      assert.equal(self.body.id, res.body.id);
      assert.equal(self.body.workspace_id, null);
    });

    it('returns 400 workspace_required for a normal user without X-Workspace-Id', async () => {
      const res = await postToken(t, alice.basic, null, {
        name: 'nowhere',
        scopes: ['read'],
        expires_in_days: 30,
      });
      assertError(res, 400, 'workspace_required');
    });

    it('returns 400 workspace_required for a workspace token without X-Workspace-Id', async () => {
      const token = await createToken(t, alice, ws);
      const res = await postToken(t, token.bearer, null, {
        name: 'nowhere',
        scopes: ['read'],
        expires_in_days: 1,
      });
      assertError(res, 400, 'workspace_required');
    });

    it('returns 403 workspace_mismatch for a token of workspace A sent with B’s id', async () => {
      const other = await createWorkspace(t, alice, { plan: 'enterprise' });
      const token = await createToken(t, alice, ws);
      const res = await postToken(t, token.bearer, other, {
        name: 'elsewhere',
        scopes: ['read'],
        expires_in_days: 1,
      });
      assertError(res, 403, 'workspace_mismatch');
    });

    it('returns 403 workspace_forbidden for a user who is not a member of the workspace', async () => {
      const stranger = await createUser(t);
      const res = await postToken(t, stranger.basic, ws, {
        name: 'intruder',
        scopes: ['read'],
        expires_in_days: 30,
      });
      assertError(res, 403, 'workspace_forbidden');
    });

    it('returns 400 validation_failed for an X-Workspace-Id that is not a UUID', async () => {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set('Authorization', alice.basic)
        .set('X-Workspace-Id', 'not-a-workspace')
        .send({ name: 'bot', scopes: ['read'], expires_in_days: 30 });
      assertInvalid(res, 'X-Workspace-Id');
    });

    it('returns 401 missing_credentials without credentials', async () => {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set('X-Workspace-Id', ws.id)
        .send({ name: 'anon', scopes: ['read'], expires_in_days: 30 });
      assertError(res, 401, 'missing_credentials');
    });
  });
});
