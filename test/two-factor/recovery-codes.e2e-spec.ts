import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  totpCode,
} from '../support/factories';
import { enrolTwoFactor, OAuthBrowser } from '../support/oauth';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';
import { adminAuditEvents, wrongTotpCode } from '../credentials/credential-helpers';

// Several wrong codes on one account on purpose: the per-account limit is not under test here.
const ENV = { FAILED_LOGIN_ACCOUNT_LIMIT: '0' };

const enrol = enrolTwoFactor;

const login = (t: TestApp, user: TestUser, code: string) =>
  new OAuthBrowser(t).submitLogin(user, { code });

describe('2FA recovery codes (SPEC §12)', () => {
  let t: TestApp;
  let alice: TestUser;
  let secret: string;
  let codes: string[];
  let token: TestToken;

  before(async () => {
    t = await startTestApp({ env: ENV });
    alice = await createUser(t);
    // Made before 2FA is on: afterwards the password no longer opens the API.
    token = await createToken(t, alice, await createWorkspace(t, alice), {
      scopes: ['read', 'write'],
    });
    ({ secret, codes } = await enrol(t, alice));
  });
  after(() => t.close());

  const regenerate = (code: string, user = alice) =>
    t
      .http()
      .post('/api/v1/me/two-factor/recovery-codes')
      .set('Authorization', user.basic)
      .send({ code });

  it('stores only SHA-256 hashes of the 10 codes, never the codes', async () => {
    assert.equal(codes.length, 10);
    const rows = await t.dataSource.query<Array<{ code_hash: string; used_at: unknown }>>(
      'SELECT code_hash, used_at FROM two_factor_recovery_codes WHERE user_id = ?',
      [alice.id],
    );
    assert.equal(rows.length, 10);
    const stored = JSON.stringify(rows);
    for (const code of codes) {
      assert.ok(!stored.includes(code) && !stored.includes(code.replace('-', '')), code);
    }
    for (const row of rows) {
      assert.match(row.code_hash, /^[0-9a-f]{64}$/);
      assert.equal(row.used_at, null);
    }
  });

  it('signs in on /login with a recovery code in place of the app code, once', async () => {
    const first = await login(t, alice, codes[0]);
    assert.equal(first.status, 303, first.text);
    const again = await login(t, alice, codes[0]);
    assert.equal(again.status, 401, again.text);
    assert.match(again.text, /two-factor code is wrong/);
    // Typed in capitals and without the dash, another code works.
    const typed = await login(t, alice, codes[1].replace('-', '').toUpperCase());
    assert.equal(typed.status, 303, typed.text);
    const used = await adminAuditEvents(t, { action: 'two_factor.recovery_code_used' });
    assert.equal(used.length, 2);
    assert.ok(used.every((e) => e.target_id === alice.id));
    assert.ok(!JSON.stringify(used).includes(codes[0]), 'the code is never audited');
  });

  it('refuses an invented recovery code on /login', async () => {
    const res = await login(t, alice, 'aaaaa-aaaaa');
    assert.equal(res.status, 401, res.text);
  });

  it('uses a code exactly once under parallel requests', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => login(t, alice, codes[2])));
    assert.deepEqual(
      results.map((r) => r.status).sort(),
      [303, 401, 401, 401, 401, 401],
      results.map((r) => r.status).join(','),
    );
  });

  it('POST /api/v1/me/two-factor/recovery-codes needs a current code', async () => {
    assertError(await regenerate(await wrongTotpCode(secret)), 400, 'validation_failed');
    assertError(await regenerate('not-a-code'), 400, 'validation_failed');
    assertError(await regenerate(codes[0]), 400, 'validation_failed'); // already used
    const withToken = await t
      .http()
      .post('/api/v1/me/two-factor/recovery-codes')
      .set('Authorization', token.bearer)
      .send({ code: await totpCode(secret) });
    assertError(withToken, 403, 'forbidden');
  });

  it('replaces all codes for a current app code: 201 with 10 new ones, the old ones dead', async () => {
    const res = await regenerate(await totpCode(secret));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const fresh = res.body.recovery_codes as string[];
    assert.equal(fresh.length, 10);
    assert.equal(fresh.filter((c) => codes.includes(c)).length, 0);
    const old = await login(t, alice, codes[5]);
    assert.equal(old.status, 401, old.text);
    const rows = await t.dataSource.query<Array<{ n: number | string }>>(
      'SELECT COUNT(*) AS n FROM two_factor_recovery_codes WHERE user_id = ?',
      [alice.id],
    );
    assert.equal(Number(rows[0].n), 10);
    codes = fresh;
    const events = await adminAuditEvents(t, { action: 'two_factor.recovery_codes_regenerated' });
    assert.deepEqual(
      events.map((e) => [e.actor_id, e.target_id]),
      [[alice.id, alice.id]],
    );
  });

  it('regenerates with a recovery code too, using it up', async () => {
    const res = await regenerate(codes[0]);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    codes = res.body.recovery_codes as string[];
  });

  it('two parallel regenerations with one recovery code: exactly one succeeds', async () => {
    const results = await Promise.all([regenerate(codes[3]), regenerate(codes[3])]);
    assert.deepEqual(
      results.map((r) => r.status).sort(),
      [201, 400],
      JSON.stringify(results.map((r): unknown => r.body)),
    );
    codes = results.find((r) => r.status === 201)?.body.recovery_codes as string[];
  });

  it('turns 2FA off with a recovery code, and the codes go with it', async () => {
    const off = await t
      .http()
      .delete('/api/v1/me/two-factor')
      .set('Authorization', alice.basic)
      .send({ code: codes[9] });
    assert.equal(off.status, 204, JSON.stringify(off.body));
    const rows = await t.dataSource.query<Array<{ n: number | string }>>(
      'SELECT COUNT(*) AS n FROM two_factor_recovery_codes WHERE user_id = ?',
      [alice.id],
    );
    assert.equal(Number(rows[0].n), 0);
    assertError(await regenerate(codes[8]), 409, 'conflict');
    const me = await t.http().get('/api/v1/me').set('Authorization', alice.basic);
    assert.equal(me.status, 200);
    assert.equal(me.body.two_factor_enabled, false);
  });

  it('does not accept a recovery code to confirm an enrolment', async () => {
    const start = await t.http().post('/api/v1/me/two-factor').set('Authorization', alice.basic);
    assert.equal(start.status, 201);
    const res = await t
      .http()
      .post('/api/v1/me/two-factor/confirm')
      .set('Authorization', alice.basic)
      .send({ code: codes[7] });
    assertError(res, 400, 'validation_failed');
  });
});

describe('DELETE /api/v1/admin/users/:id/two-factor (SPEC §12)', () => {
  let t: TestApp;
  let bob: TestUser;
  let carol: TestUser;

  before(async () => {
    t = await startTestApp({ env: ENV });
    bob = await createUser(t);
    carol = await createUser(t);
    await enrol(t, bob);
  });
  after(() => t.close());

  const reset = (id: string, authorization = t.adminBasic) =>
    t.http().delete(`/api/v1/admin/users/${id}/two-factor`).set('Authorization', authorization);

  it('refuses users who are not instance admins, and admin tokens without the admin scope', async () => {
    assertError(await reset(bob.id, carol.basic), 403, 'forbidden');
    const admin = await createUser(t, { isAdmin: true });
    const workspace = await createWorkspace(t, admin);
    const token = await createToken(t, admin, workspace, { scopes: ['read', 'write', 'delete'] });
    assertError(await reset(bob.id, token.bearer), 403, 'insufficient_scope');
    const me = await t.http().get('/api/v1/me').set('Authorization', bob.basic);
    assertError(me, 401, 'two_factor_required');
  });

  it('answers 404 for an unknown user', async () => {
    assertError(await reset('00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    assertError(await reset('not-a-uuid'), 404, 'not_found');
  });

  it('turns the user’s 2FA off: 204, the password works again, audited as two_factor.reset', async () => {
    const res = await reset(bob.id);
    assert.equal(res.status, 204, JSON.stringify(res.body));
    const me = await t.http().get('/api/v1/me').set('Authorization', bob.basic);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.two_factor_enabled, false);
    const rows = await t.dataSource.query<
      Array<{ totp_secret: string | null; n: number | string }>
    >(
      'SELECT totp_secret, (SELECT COUNT(*) FROM two_factor_recovery_codes WHERE user_id = users.id) AS n FROM users WHERE id = ?',
      [bob.id],
    );
    assert.equal(rows[0].totp_secret, null);
    assert.equal(Number(rows[0].n), 0);
    const events = await adminAuditEvents(t, { action: 'two_factor.reset' });
    assert.equal(events.length, 1);
    assert.equal(events[0].target_id, bob.id);
    // The user can enrol again.
    await enrol(t, bob);
    assertError(
      await t.http().get('/api/v1/me').set('Authorization', basicAuth(bob.username, bob.password)),
      401,
      'two_factor_required',
    );
  });
});
