import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { patchSettings, restoreDefaultSettings, setLegacyPassword } from './credential-helpers';

interface UsageRow {
  user_id: string;
  username: string;
  use_count: number;
  first_used_at: string;
  last_used_at: string;
  last_ip: string | null;
  last_user_agent: string | null;
}

describe('Legacy X-AUTH-USER / X-AUTH-TOKEN API passwords (SPEC §4.5)', () => {
  let t: TestApp;
  let alice: TestUser;
  let ws: TestWorkspace;
  const legacyPassword = 'legacy-password-of-alice-42';

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    ws = await createWorkspace(t, alice);
    await setLegacyPassword(t, alice, legacyPassword);
  });
  afterEach(() => restoreDefaultSettings(t));
  after(() => t.close());

  const legacyGet = (path: string, user: string, password: string) =>
    t.http().get(path).set('X-AUTH-USER', user).set('X-AUTH-TOKEN', password);

  async function usageOf(user: TestUser): Promise<UsageRow | undefined> {
    const res = await t
      .http()
      .get('/api/v1/admin/legacy-auth-usage')
      .set('Authorization', t.adminBasic);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.data as UsageRow[]).find((row) => row.user_id === user.id);
  }

  describe('deprecation headers', () => {
    it('carry Deprecation (@<unix seconds>) and a Link to the migration guide, without Sunset while none is set', async () => {
      const res = await legacyGet('/api/v1/me', alice.username, legacyPassword);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.auth.method, 'legacy_api_password');
      assert.match(String(res.headers['deprecation']), /^@\d+$/);
      const deprecatedAt = Number(String(res.headers['deprecation']).slice(1)) * 1000;
      assert.ok(deprecatedAt > Date.parse('2020-01-01') && deprecatedAt <= Date.now());
      const link = String(res.headers['link']);
      assert.match(link, /rel="deprecation"/);
      assert.match(link, /<[^>]*\/docs\/migrating-from-api-passwords>/);
      assert.equal(res.headers['sunset'], undefined);
    });

    it('add Sunset as an HTTP-date once the admin sets a sunset', async () => {
      await patchSettings(t, { legacy_auth_sunset_at: '2099-06-30T00:00:00Z' });
      const res = await legacyGet('/api/v1/me', alice.username, legacyPassword);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.headers['sunset'], 'Tue, 30 Jun 2099 00:00:00 GMT');
      assert.match(String(res.headers['deprecation']), /^@\d+$/);
      assert.match(String(res.headers['link']), /rel="deprecation"/);
    });

    it('are not sent on responses to other credentials', async () => {
      const res = await t.http().get('/api/v1/me').set('Authorization', alice.basic);
      assert.equal(res.status, 200);
      assert.equal(res.headers['deprecation'], undefined);
      assert.equal(res.headers['sunset'], undefined);
      assert.equal(res.headers['link'], undefined);
    });

    it('also works on a workspace route', async () => {
      const res = await legacyGet('/api/v1/projects', alice.username, legacyPassword).set(
        'X-Workspace-Id',
        ws.id,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(String(res.headers['deprecation']), /^@\d+$/);
    });
  });

  describe('GET /docs/migrating-from-api-passwords', () => {
    it('is a public HTML page that explains the switch to Authorization: Bearer', async () => {
      const res = await t.http().get('/docs/migrating-from-api-passwords');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.text, /<h1>Migrating from API passwords<\/h1>/);
      assert.match(res.text, /Authorization: Bearer/);
      assert.match(res.text, /X-AUTH-TOKEN/);
    });
  });

  describe('refusals', () => {
    it('returns 401 invalid_credentials for a wrong legacy password', async () => {
      const res = await legacyGet('/api/v1/me', alice.username, 'not-the-legacy-password');
      assertError(res, 401, 'invalid_credentials');
      assert.ok(res.headers['www-authenticate']);
    });

    it('returns 401 invalid_credentials for the account password sent as X-AUTH-TOKEN', async () => {
      const res = await legacyGet('/api/v1/me', alice.username, alice.password);
      assertError(res, 401, 'invalid_credentials');
    });

    it('returns 401 invalid_credentials for an unknown X-AUTH-USER', async () => {
      const res = await legacyGet('/api/v1/me', 'nobody-at-all', legacyPassword);
      assertError(res, 401, 'invalid_credentials');
    });

    it('returns 401 when only X-AUTH-USER is sent', async () => {
      const res = await t.http().get('/api/v1/me').set('X-AUTH-USER', alice.username);
      assertError(res, 401, 'invalid_credentials');
      assert.match(res.body.message, /X-AUTH-TOKEN/);
      // Every response to an X-AUTH-* request says they are deprecated, refusals included.
      assert.match(String(res.headers['deprecation']), /^@\d+$/);
      assert.match(String(res.headers['link']), /rel="deprecation"/);
    });

    it('sends the deprecation headers when X-AUTH-* comes beside another credential of the same user', async () => {
      const res = await legacyGet('/api/v1/me', alice.username, legacyPassword).set(
        'Authorization',
        alice.basic,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.match(String(res.headers['deprecation']), /^@\d+$/);
      assert.match(String(res.headers['link']), /rel="deprecation"/);
    });

    it('returns 401 when only X-AUTH-TOKEN is sent', async () => {
      const res = await t.http().get('/api/v1/me').set('X-AUTH-TOKEN', legacyPassword);
      assertError(res, 401, 'invalid_credentials');
      assert.match(res.body.message, /X-AUTH-USER/);
      assert.match(String(res.headers['deprecation']), /^@\d+$/);
    });

    it('returns 401 for a user without a legacy password', async () => {
      const bob = await createUser(t);
      const res = await legacyGet('/api/v1/me', bob.username, bob.password);
      assertError(res, 401, 'invalid_credentials');
    });
  });

  describe('GET /api/v1/admin/legacy-auth-usage', () => {
    it('reports each user’s successful legacy uses with the last IP and user agent', async () => {
      const carol = await createUser(t);
      await setLegacyPassword(t, carol, 'carols-legacy-password');
      assert.equal(await usageOf(carol), undefined);

      const before = Date.now();
      const successes = 3;
      for (let i = 0; i < successes; i++) {
        const res = await legacyGet('/api/v1/me', carol.username, 'carols-legacy-password').set(
          'User-Agent',
          i === successes - 1 ? 'nightly-sync/2.0' : 'nightly-sync/1.0',
        );
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
      // Failed attempts are not uses.
      assertError(
        await legacyGet('/api/v1/me', carol.username, 'wrong-legacy-password').set(
          'User-Agent',
          'attacker/1.0',
        ),
        401,
        'invalid_credentials',
      );

      const row = await usageOf(carol);
      assert.ok(row, 'carol is in the report');
      assert.equal(row.username, carol.username);
      assert.equal(row.use_count, successes);
      assert.equal(row.last_ip, '127.0.0.1');
      assert.equal(row.last_user_agent, 'nightly-sync/2.0');
      // The database may keep whole seconds only.
      assert.ok(Date.parse(row.first_used_at) >= Math.floor(before / 1000) * 1000 - 1000);
      assert.ok(Date.parse(row.last_used_at) >= Date.parse(row.first_used_at));
      assert.ok(Date.parse(row.last_used_at) <= Date.now() + 1000);

      // More uses are added to the same row.
      const again = await legacyGet('/api/v1/me', carol.username, 'carols-legacy-password').set(
        'User-Agent',
        'nightly-sync/3.0',
      );
      assert.equal(again.status, 200);
      const updated = await usageOf(carol);
      assert.equal(updated?.use_count, successes + 1);
      assert.equal(updated?.last_user_agent, 'nightly-sync/3.0');
    });

    it('returns 403 forbidden to a user who is not an instance admin', async () => {
      const res = await t
        .http()
        .get('/api/v1/admin/legacy-auth-usage')
        .set('Authorization', alice.basic);
      assertError(res, 403, 'forbidden');
    });

    it('returns 403 insufficient_scope to a workspace token', async () => {
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      const res = await t
        .http()
        .get('/api/v1/admin/legacy-auth-usage')
        .set('Authorization', token.bearer);
      assertError(res, 403, 'insufficient_scope');
    });
  });

  describe('PATCH /api/v1/admin/users/:id legacy_api_password', () => {
    it('stores only an Argon2id hash of the legacy password', async () => {
      const rows: Array<{ hash: string | null }> = await t.dataSource.query(
        'SELECT legacy_api_password_hash AS hash FROM users WHERE id = ?',
        [alice.id],
      );
      assert.equal(rows.length, 1);
      const hash = rows[0].hash;
      assert.ok(hash, 'a hash is stored');
      assert.ok(hash.startsWith('$argon2id$'), hash);
      assert.ok(!hash.includes(legacyPassword));
    });

    it('never shows the legacy password or its hash in user responses', async () => {
      const res = await t.http().get('/api/v1/admin/users').set('Authorization', t.adminBasic);
      assert.equal(res.status, 200);
      const text = JSON.stringify(res.body);
      assert.ok(!text.includes(legacyPassword));
      assert.ok(!text.includes('$argon2'));
    });

    it('returns 400 validation_failed for a legacy password shorter than 8 characters', async () => {
      const res = await t
        .http()
        .patch(`/api/v1/admin/users/${alice.id}`)
        .set('Authorization', t.adminBasic)
        .send({ legacy_api_password: 'short' });
      assertError(res, 400, 'validation_failed');
    });

    it('removes the legacy password with null: it is refused on the next request', async () => {
      const dave = await createUser(t);
      await setLegacyPassword(t, dave, 'daves-legacy-password');
      assert.equal(
        (await legacyGet('/api/v1/me', dave.username, 'daves-legacy-password')).status,
        200,
      );
      await setLegacyPassword(t, dave, null);
      assertError(
        await legacyGet('/api/v1/me', dave.username, 'daves-legacy-password'),
        401,
        'invalid_credentials',
      );
      const rows: Array<{ hash: string | null }> = await t.dataSource.query(
        'SELECT legacy_api_password_hash AS hash FROM users WHERE id = ?',
        [dave.id],
      );
      assert.equal(rows[0].hash, null);
      // The account password is untouched.
      assert.equal((await t.http().get('/api/v1/me').set('Authorization', dave.basic)).status, 200);
    });

    it('a new legacy password replaces the old one at once', async () => {
      const erin = await createUser(t);
      await setLegacyPassword(t, erin, 'erins-first-legacy-pw');
      assert.equal(
        (await legacyGet('/api/v1/me', erin.username, 'erins-first-legacy-pw')).status,
        200,
      );
      await setLegacyPassword(t, erin, 'erins-second-legacy-pw');
      assertError(
        await legacyGet('/api/v1/me', erin.username, 'erins-first-legacy-pw'),
        401,
        'invalid_credentials',
      );
      assert.equal(
        (await legacyGet('/api/v1/me', erin.username, 'erins-second-legacy-pw')).status,
        200,
      );
    });
  });
});
