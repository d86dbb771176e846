import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PasswordHasher } from '../../src/auth/password-hasher';
import {
  assertError,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';

/**
 * Repeated password credentials (HTTP Basic, legacy API passwords) pay the Argon2 KDF once:
 * a burst of parallel requests shares one computation, later ones hit the keyed cache, and a
 * password change makes the old one fail on the next request.
 */
describe('password verification: one KDF run per credential, not per request', () => {
  let t: TestApp;
  let user: TestUser;
  let ws: TestWorkspace;
  let kdfRuns = 0;

  before(async () => {
    t = await startTestApp();
    user = await createUser(t);
    ws = await createWorkspace(t, user);
    // Count the real hasher's verifications (it still does the work).
    const hasher = t.app.get(PasswordHasher);
    const verify = hasher.verify.bind(hasher);
    hasher.verify = (hash: string, password: string) => {
      kdfRuns++;
      return verify(hash, password);
    };
  });
  after(() => t?.close());

  function projects(auth: string) {
    return t.http().get('/api/v1/projects').set('Authorization', auth).set('X-Workspace-Id', ws.id);
  }

  it('answers 30 parallel requests with fresh credentials after a single verification', async () => {
    const password = 'a-brand-new-password-1';
    await t
      .http()
      .patch(`/api/v1/admin/users/${user.id}`)
      .set('Authorization', t.adminBasic)
      .send({ password })
      .expect(200);
    kdfRuns = 0;
    const auth = basicAuth(user.username, password);
    const responses = await Promise.all(Array.from({ length: 30 }, () => projects(auth)));
    assert.deepEqual(
      responses.map((r) => r.status),
      Array<number>(30).fill(200),
    );
    assert.equal(kdfRuns, 1, 'the parallel burst shares one Argon2 verification');
    await projects(auth).expect(200);
    assert.equal(kdfRuns, 1, 'a later request is answered from the verification cache');
  });

  it('verifies every wrong password (failures are never cached) and refuses the old password after a change', async () => {
    kdfRuns = 0;
    assertError(await projects(basicAuth(user.username, 'wrong-1')), 401, 'invalid_credentials');
    assertError(await projects(basicAuth(user.username, 'wrong-1')), 401, 'invalid_credentials');
    assert.equal(kdfRuns, 2);
    await t
      .http()
      .patch(`/api/v1/admin/users/${user.id}`)
      .set('Authorization', t.adminBasic)
      .send({ password: 'the-next-password-2' })
      .expect(200);
    assertError(
      await projects(basicAuth(user.username, 'a-brand-new-password-1')),
      401,
      'invalid_credentials',
    );
    await projects(basicAuth(user.username, 'the-next-password-2')).expect(200);
  });
});
