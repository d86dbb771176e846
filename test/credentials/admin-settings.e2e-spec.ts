import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';
import {
  adminUser,
  DEFAULT_SETTINGS,
  patchSettings,
  restoreDefaultSettings,
  setLegacyPassword,
  settingsOf,
} from './credential-helpers';

describe('Instance settings (SPEC §8)', () => {
  let t: TestApp;
  let admin: TestUser;
  let adminToken: TestToken;
  let adminReadToken: TestToken;
  let alice: TestUser;
  let ws: TestWorkspace;
  let aliceToken: TestToken;
  const legacyPassword = 'alice-legacy-api-password';

  before(async () => {
    t = await startTestApp();
    admin = await adminUser(t);
    adminToken = await createToken(t, admin, null, { scopes: ['admin'], name: 'admin automation' });
    adminReadToken = await createToken(t, admin, null, { scopes: ['read', 'write'] });
    alice = await createUser(t);
    ws = await createWorkspace(t, alice);
    aliceToken = await createToken(t, alice, ws, { scopes: ['read', 'write'] });
    await setLegacyPassword(t, alice, legacyPassword);
  });
  // Settings are instance-wide: every test leaves them as it found them.
  afterEach(() => restoreDefaultSettings(t, adminToken.bearer));
  after(() => t.close());

  describe('GET /api/v1/admin/settings', () => {
    it('returns all six settings with their defaults', async () => {
      const res = await t.http().get('/api/v1/admin/settings').set('Authorization', t.adminBasic);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(settingsOf(res.body), DEFAULT_SETTINGS);
    });

    it('returns 403 forbidden to a user who is not an instance admin', async () => {
      assertError(
        await t.http().get('/api/v1/admin/settings').set('Authorization', alice.basic),
        403,
        'forbidden',
      );
      assertError(
        await t
          .http()
          .patch('/api/v1/admin/settings')
          .set('Authorization', alice.basic)
          .send({ allow_query_key: false }),
        403,
        'forbidden',
      );
      const after = await t.http().get('/api/v1/admin/settings').set('Authorization', t.adminBasic);
      assert.equal(after.body.allow_query_key, true);
    });

    it('returns 401 missing_credentials without credentials', async () => {
      assertError(await t.http().get('/api/v1/admin/settings'), 401, 'missing_credentials');
    });
  });

  describe('PATCH /api/v1/admin/settings validation', () => {
    const invalid: Array<[string, Record<string, unknown>, string]> = [
      ['a string for a boolean', { rest_api_enabled: 'no' }, 'rest_api_enabled'],
      ['a number for a boolean', { allow_query_key: 0 }, 'allow_query_key'],
      ['null for a boolean', { allow_basic_password: null }, 'allow_basic_password'],
      ['null for rest_api_enabled', { rest_api_enabled: null }, 'rest_api_enabled'],
      ['null for a lifetime', { max_token_lifetime_days: null }, 'max_token_lifetime_days'],
      ['a string for legacy_auth_enabled', { legacy_auth_enabled: 'true' }, 'legacy_auth_enabled'],
      [
        'a sunset that is not a date',
        { legacy_auth_sunset_at: 'next week' },
        'legacy_auth_sunset_at',
      ],
      ['a sunset that is a number', { legacy_auth_sunset_at: 1893456000 }, 'legacy_auth_sunset_at'],
      ['max_token_lifetime_days 0', { max_token_lifetime_days: 0 }, 'max_token_lifetime_days'],
      ['max_token_lifetime_days 366', { max_token_lifetime_days: 366 }, 'max_token_lifetime_days'],
      ['a fractional lifetime', { max_token_lifetime_days: 30.5 }, 'max_token_lifetime_days'],
      ['a lifetime as a string', { max_token_lifetime_days: '30' }, 'max_token_lifetime_days'],
      ['an unknown setting', { allow_cookies: true }, 'allow_cookies'],
    ];
    for (const [label, body, field] of invalid) {
      it(`returns 400 validation_failed for ${label} and changes nothing`, async () => {
        const res = await t
          .http()
          .patch('/api/v1/admin/settings')
          .set('Authorization', t.adminBasic)
          .send({ ...body, allow_query_key: body.allow_query_key ?? false });
        assertError(res, 400, 'validation_failed');
        const details = res.body.details as Array<{ field: string; message: string }>;
        assert.ok(
          details.some((d) => d.field === field),
          `details name ${field}: ${JSON.stringify(details)}`,
        );
        const now = await t.http().get('/api/v1/admin/settings').set('Authorization', t.adminBasic);
        assert.deepEqual(settingsOf(now.body), DEFAULT_SETTINGS);
      });
    }

    it('sets a sunset date and clears it again with null', async () => {
      const set = await patchSettings(t, { legacy_auth_sunset_at: '2031-06-30T00:00:00Z' });
      assert.equal(set.legacy_auth_sunset_at, '2031-06-30T00:00:00.000Z');
      const read = await t.http().get('/api/v1/admin/settings').set('Authorization', t.adminBasic);
      assert.equal(read.body.legacy_auth_sunset_at, '2031-06-30T00:00:00.000Z');
      const cleared = await patchSettings(t, { legacy_auth_sunset_at: null });
      assert.equal(cleared.legacy_auth_sunset_at, null);
      const reread = await t
        .http()
        .get('/api/v1/admin/settings')
        .set('Authorization', t.adminBasic);
      assert.equal(reread.body.legacy_auth_sunset_at, null);
    });

    it('changes only the settings sent', async () => {
      const res = await patchSettings(t, { max_token_lifetime_days: 90 });
      assert.deepEqual(settingsOf(res), { ...DEFAULT_SETTINGS, max_token_lifetime_days: 90 });
    });

    it('max_token_lifetime_days=30 caps new tokens at 30 days', async () => {
      await patchSettings(t, { max_token_lifetime_days: 30 });
      const create = (body: Record<string, unknown>) =>
        t
          .http()
          .post('/api/v1/tokens')
          .set('Authorization', alice.basic)
          .set('X-Workspace-Id', ws.id)
          .send(body);
      const tooLong = await create({
        name: 'too long',
        scopes: ['read'],
        expires_in_days: 31,
      });
      assertError(tooLong, 400, 'validation_failed');
      assert.match(JSON.stringify(tooLong.body.details), /30/);
      const tooLate = await create({
        name: 'too late',
        scopes: ['read'],
        expires_at: new Date(Date.now() + 31 * 86_400_000).toISOString(),
      });
      assertError(tooLate, 400, 'validation_failed');
      const ok = await create({ name: 'just right', scopes: ['read'], expires_in_days: 30 });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
    });
  });

  describe('switches', () => {
    it('allow_query_key=false refuses ?key= with 401 invalid_token, other credentials still work', async () => {
      await patchSettings(t, { allow_query_key: false });
      const res = await t.http().get('/api/v1/me').query({ key: aliceToken.token });
      assertError(res, 401, 'invalid_token');
      assert.match(res.body.message, /X-API-Key/);
      const header = await t.http().get('/api/v1/me').set('X-API-Key', aliceToken.token);
      assert.equal(header.status, 200);
      await patchSettings(t, { allow_query_key: true });
      const back = await t.http().get('/api/v1/me').query({ key: aliceToken.token });
      assert.equal(back.status, 200);
    });

    it('allow_basic_password=false refuses Basic passwords with 401 invalid_credentials, Basic tokens still work', async () => {
      await patchSettings(t, { allow_basic_password: false });
      assertError(
        await t.http().get('/api/v1/me').set('Authorization', alice.basic),
        401,
        'invalid_credentials',
      );
      const token = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth(alice.username, aliceToken.token));
      assert.equal(token.status, 200, JSON.stringify(token.body));
      assert.equal(token.body.auth.method, 'basic_token');
      const bearer = await t.http().get('/api/v1/me').set('Authorization', aliceToken.bearer);
      assert.equal(bearer.status, 200);
      // The admin's password is off too now; the admin token switches it back.
      await patchSettings(t, { allow_basic_password: true }, adminToken.bearer);
      const back = await t.http().get('/api/v1/me').set('Authorization', alice.basic);
      assert.equal(back.status, 200);
    });

    it('legacy_auth_enabled=false refuses X-AUTH-* with 401 legacy_auth_removed', async () => {
      const legacy = () =>
        t
          .http()
          .get('/api/v1/me')
          .set('X-AUTH-USER', alice.username)
          .set('X-AUTH-TOKEN', legacyPassword);
      assert.equal((await legacy()).status, 200);
      await patchSettings(t, { legacy_auth_enabled: false });
      const res = await legacy();
      assertError(res, 401, 'legacy_auth_removed');
      assert.match(res.body.message, /Authorization: Bearer/);
      await patchSettings(t, { legacy_auth_enabled: true });
      assert.equal((await legacy()).status, 200);
    });

    it('a legacy_auth_sunset_at in the past refuses X-AUTH-* with 401 legacy_auth_removed', async () => {
      await patchSettings(t, { legacy_auth_sunset_at: '2020-01-01T00:00:00Z' });
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('X-AUTH-USER', alice.username)
        .set('X-AUTH-TOKEN', legacyPassword);
      assertError(res, 401, 'legacy_auth_removed');
      assert.match(res.body.message, /Authorization: Bearer/);
      assert.match(res.body.message, /sunset/);
      assert.equal(res.headers['sunset'], 'Wed, 01 Jan 2020 00:00:00 GMT');
    });

    it('a legacy_auth_sunset_at in the future still accepts X-AUTH-*', async () => {
      await patchSettings(t, { legacy_auth_sunset_at: '2099-01-01T00:00:00Z' });
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('X-AUTH-USER', alice.username)
        .set('X-AUTH-TOKEN', legacyPassword);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.headers['sunset'], 'Thu, 01 Jan 2099 00:00:00 GMT');
    });

    it('rest_api_enabled=false answers every /api/v1 call with 403 api_disabled except the admin’s password on the settings', async () => {
      const off = await patchSettings(t, { rest_api_enabled: false });
      assert.equal(off.rest_api_enabled, false);

      const refused = [
        t.http().get('/api/v1/me').set('Authorization', aliceToken.bearer),
        t.http().get('/api/v1/me').set('X-API-Key', aliceToken.token),
        t.http().get('/api/v1/me').query({ key: aliceToken.token }),
        t.http().get('/api/v1/me').set('Authorization', alice.basic),
        t
          .http()
          .get('/api/v1/me')
          .set('X-AUTH-USER', alice.username)
          .set('X-AUTH-TOKEN', legacyPassword),
        t.http().get('/api/v1/me'),
        t
          .http()
          .get('/api/v1/projects')
          .set('Authorization', aliceToken.bearer)
          .set('X-Workspace-Id', ws.id),
        t.http().get('/api/v1/projects').set('X-Workspace-Id', ws.id),
        t.http().post('/api/v1/workspaces').set('Authorization', alice.basic).send({ name: 'x' }),
        // The admin's password works on the settings only.
        t.http().get('/api/v1/me').set('Authorization', t.adminBasic),
        t.http().get('/api/v1/admin/users').set('Authorization', t.adminBasic),
        // An admin token, even with the admin scope, cannot reach the settings.
        t.http().get('/api/v1/admin/settings').set('Authorization', adminToken.bearer),
        t
          .http()
          .patch('/api/v1/admin/settings')
          .set('Authorization', adminToken.bearer)
          .send({ rest_api_enabled: true }),
        // Nor can a user who is not an admin, with their password.
        t.http().get('/api/v1/admin/settings').set('Authorization', alice.basic),
        // Nor the admin acting as someone else.
        t
          .http()
          .get('/api/v1/admin/settings')
          .set('Authorization', t.adminBasic)
          .set('X-Switch-User', alice.username),
      ];
      for (const req of refused) {
        const res = await req;
        assertError(res, 403, 'api_disabled');
      }

      const read = await t.http().get('/api/v1/admin/settings').set('Authorization', t.adminBasic);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.body.rest_api_enabled, false);

      const on = await patchSettings(t, { rest_api_enabled: true });
      assert.equal(on.rest_api_enabled, true);
      const back = await t.http().get('/api/v1/me').set('Authorization', aliceToken.bearer);
      assert.equal(back.status, 200);
      const adminBack = await t
        .http()
        .get('/api/v1/admin/settings')
        .set('Authorization', adminToken.bearer);
      assert.equal(adminBack.status, 200);
    });

    it('settings need the admin scope on an admin’s token', async () => {
      const res = await t
        .http()
        .get('/api/v1/admin/settings')
        .set('Authorization', adminReadToken.bearer);
      assertError(res, 403, 'insufficient_scope');
    });
    it('can never lock the API for good: an admin’s password still reaches the settings with passwords and the API off', async () => {
      const off = await t
        .http()
        .patch('/api/v1/admin/settings')
        .set('Authorization', adminToken.bearer)
        .send({ allow_basic_password: false });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      const apiOff = await t
        .http()
        .patch('/api/v1/admin/settings')
        .set('Authorization', adminToken.bearer)
        .send({ rest_api_enabled: false });
      assert.equal(apiOff.status, 200, JSON.stringify(apiOff.body));
      // Passwords are off everywhere else, even for the admin …
      assertError(
        await t.http().get('/api/v1/me').set('Authorization', t.adminBasic),
        403,
        'api_disabled',
      );
      // … and a non-admin's password does not get through on the settings route either.
      assertError(
        await t.http().get('/api/v1/admin/settings').set('Authorization', alice.basic),
        403,
        'api_disabled',
      );
      const rescue = await t
        .http()
        .patch('/api/v1/admin/settings')
        .set('Authorization', t.adminBasic)
        .send({ rest_api_enabled: true, allow_basic_password: true });
      assert.equal(rescue.status, 200, JSON.stringify(rescue.body));
      assert.equal(rescue.body.rest_api_enabled, true);
      assert.equal(rescue.body.allow_basic_password, true);
    });
  });
});
