import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setLegacyPassword } from '../credentials/credential-helpers';
import { freshDatabase, TestDatabase } from '../support/databases';
import { splitAt } from '../support/migrations';
import { assertError, createUser, TestUser } from '../support/factories';
import { OAuthBrowser } from '../support/oauth';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';

describe('Logins are one rule on both databases: unique and matched regardless of case (SPEC §12, item 12)', () => {
  let t: TestApp;
  let carol: TestUser;

  before(async () => {
    t = await startTestApp();
    carol = await createUser(t, { username: 'Carol.Case' });
  });
  after(() => t.close());

  const create = (username: string) =>
    t
      .http()
      .post('/api/v1/admin/users')
      .set('Authorization', t.adminBasic)
      .send({
        username,
        email: `${username.toLowerCase()}-${Date.now()}@example.test`,
        password: 'a-password-nobody-uses-9',
      });

  it('refuses a login that differs only in case with 409 conflict on username', async () => {
    for (const username of ['carol.case', 'CAROL.CASE', 'ADMIN']) {
      const res = await create(username);
      assertError(res, 409, 'conflict');
      assert.equal(res.body.details[0].field, 'username', username);
      assert.match(res.body.message, /taken/);
    }
  });

  it('stores the normalised login (NFKC, lower case) beside the login as typed', async () => {
    const rows = await t.dataSource.query<Array<{ username: string; login_key: string }>>(
      'SELECT username, login_key FROM users WHERE id = ?',
      [carol.id],
    );
    assert.deepEqual(rows[0], { username: 'Carol.Case', login_key: 'carol.case' });
  });

  it('keeps the unique index when a row is written around the service (both databases)', async () => {
    await assert.rejects(
      t.dataSource.query(
        'INSERT INTO users (id, username, login_key, email, password_hash, is_admin, status, created_at, updated_at) ' +
          "VALUES ('00000000-0000-4000-8000-00000000c0c0', 'carol-copy', 'carol.case', 'x@example.test', 'x', 0, 'active', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
      ),
      /UNIQUE constraint failed: users\.login_key|Duplicate entry 'carol\.case'/,
    );
  });

  it('signs in with HTTP Basic in any case', async () => {
    const res = await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', basicAuth('CAROL.case', carol.password));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.id, carol.id);
    assert.equal(res.body.username, 'Carol.Case');
  });

  it('signs in on /login in any case', async () => {
    const res = await new OAuthBrowser(t).submitLogin({
      username: 'carol.CASE',
      password: carol.password,
    });
    assert.equal(res.status, 303, res.text);
  });

  it('accepts X-AUTH-USER in any case', async () => {
    await setLegacyPassword(t, carol, 'legacy-api-password-1');
    const res = await t
      .http()
      .get('/api/v1/me')
      .set('X-AUTH-USER', 'CAROL.CASE')
      .set('X-AUTH-TOKEN', 'legacy-api-password-1');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.id, carol.id);
  });

  it('switches to the user named by X-Switch-User in any case', async () => {
    const res = await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', t.adminBasic)
      .set('X-Switch-User', 'carol.case');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.id, carol.id);
    assert.equal(res.body.impersonated_by.username, 'admin');
  });

  it('still refuses a wrong password for the same login in another case', async () => {
    const res = await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', basicAuth('CAROL.CASE', 'not-carols-password'));
    assertError(res, 401, 'invalid_credentials');
  });
});

describe('The login_key migration (1764740000000)', () => {
  let db: TestDatabase;

  before(async () => {
    db = await freshDatabase();
  });
  after(() => db.drop());

  it('stops with the colliding logins named, and passes once they are renamed', async () => {
    const { earlier, full } = splitAt(db, 'LoginKeyAndRecoveryCodes1764740000000');
    await earlier.initialize();
    try {
      await earlier.runMigrations();
      if (db.kind === 'mysql') {
        // What SQLite always allowed: a case-sensitive login column.
        await earlier.query(
          'ALTER TABLE users MODIFY username varchar(64) COLLATE utf8mb4_bin NOT NULL',
        );
      }
      const insert = (id: string, username: string) =>
        earlier.query(
          'INSERT INTO users (id, username, email, password_hash, is_admin, status, created_at, updated_at) ' +
            "VALUES (?, ?, ?, 'x', 0, 'active', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
          [id, username, `${id}@example.test`],
        );
      await insert('00000000-0000-4000-8000-000000000001', 'Admin');
      await insert('00000000-0000-4000-8000-000000000002', 'admin');
      await insert('00000000-0000-4000-8000-000000000003', 'Zoë');
    } finally {
      await earlier.destroy();
    }

    await full.initialize();
    try {
      await assert.rejects(full.runMigrations(), (error: Error) => {
        assert.match(error.message, /"Admin" = "admin"/);
        assert.match(error.message, /Rename/);
        return true;
      });
      await full.query('UPDATE users SET username = ? WHERE id = ?', [
        'admin2',
        '00000000-0000-4000-8000-000000000002',
      ]);
      await full.runMigrations();
      const rows = await full.query<Array<{ username: string; login_key: string }>>(
        'SELECT username, login_key FROM users ORDER BY id',
      );
      assert.deepEqual(
        rows.map((r) => [r.username, r.login_key]),
        [
          ['Admin', 'admin'],
          ['admin2', 'admin2'],
          ['Zoë', 'zoë'],
        ],
      );
    } finally {
      await full.destroy();
    }
  });
});
