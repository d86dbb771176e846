import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, createUser, TestUser } from '../support/factories';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';

describe('Common passwords are refused (SPEC §12)', () => {
  let t: TestApp;
  let frank: TestUser;

  before(async () => {
    t = await startTestApp();
    frank = await createUser(t, { username: 'frank-the-tester' });
  });
  after(() => t.close());

  it('POST /api/v1/admin/users refuses a common password with 400 validation_failed on password', async () => {
    for (const password of ['qwerty123456', 'Password1234', 'sunshinesunshine']) {
      const res = await t
        .http()
        .post('/api/v1/admin/users')
        .set('Authorization', t.adminBasic)
        .send({ username: `weak-${password.length}`, email: 'weak@example.test', password });
      assertError(res, 400, 'validation_failed');
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['password'],
        password,
      );
      assert.match(res.body.details[0].message, /common passwords/);
    }
    const list = await t
      .http()
      .get('/api/v1/admin/users')
      .query({ limit: '100' })
      .set('Authorization', t.adminBasic);
    assert.ok(!JSON.stringify(list.body).includes('weak-'), 'no user was created');
  });

  it('PATCH /api/v1/admin/users/:id refuses a common password and keeps the old one', async () => {
    const res = await t
      .http()
      .patch(`/api/v1/admin/users/${frank.id}`)
      .set('Authorization', t.adminBasic)
      .send({ password: '1q2w3e4r5t6y' });
    assertError(res, 400, 'validation_failed');
    assert.equal(res.body.details[0].field, 'password');
    const me = await t.http().get('/api/v1/me').set('Authorization', frank.basic);
    assert.equal(me.status, 200);
  });

  it('refuses the user’s own login as the password', async () => {
    const res = await t
      .http()
      .patch(`/api/v1/admin/users/${frank.id}`)
      .set('Authorization', t.adminBasic)
      .send({ password: 'FRANK-THE-TESTER' });
    assertError(res, 400, 'validation_failed');
    assert.match(res.body.details[0].message, /username or e-mail/);
  });

  it('accepts an uncommon password', async () => {
    const res = await t
      .http()
      .patch(`/api/v1/admin/users/${frank.id}`)
      .set('Authorization', t.adminBasic)
      .send({ password: 'violet tram under the bridge' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const me = await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', basicAuth(frank.username, 'violet tram under the bridge'));
    assert.equal(me.status, 200);
  });

  it('POST /api/v1/me/password refuses a common new password and keeps the old one', async () => {
    const grace = await createUser(t);
    const res = await t
      .http()
      .post('/api/v1/me/password')
      .set('Authorization', grace.basic)
      .send({ current_password: grace.password, new_password: 'qwerty123456' });
    assertError(res, 400, 'validation_failed');
    assert.equal(res.body.details[0].field, 'new_password');
    assert.match(res.body.details[0].message, /common passwords/);
    assert.equal((await t.http().get('/api/v1/me').set('Authorization', grace.basic)).status, 200);
  });

  it('a reset link refuses a common password and stays usable', async () => {
    const heidi = await createUser(t);
    const link = await t
      .http()
      .post(`/api/v1/admin/users/${heidi.id}/password-reset`)
      .set('Authorization', t.adminBasic)
      .expect(201);
    const url = new URL(link.body.url as string);
    const agent = t.http();
    const form = await agent.get(`${url.pathname}${url.search}`).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    assert.ok(csrf, 'the reset form carries a CSRF token');
    const code = url.searchParams.get('code') ?? '';
    const weak = await agent.post('/password-reset').type('form').send({
      _csrf: csrf,
      code,
      new_password: 'sunshinesunshine',
      confirm_password: 'sunshinesunshine',
    });
    assert.equal(weak.status, 400, weak.text);
    assert.match(weak.text, /common passwords/);
    assert.equal((await t.http().get('/api/v1/me').set('Authorization', heidi.basic)).status, 200);
    const strong = 'a-much-better-passphrase-42';
    const used = await agent
      .post('/password-reset')
      .type('form')
      .send({ _csrf: csrf, code, new_password: strong, confirm_password: strong });
    assert.ok([200, 303].includes(used.status), used.text);
    const me = await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', basicAuth(heidi.username, strong));
    assert.equal(me.status, 200);
  });
});
