import { NestFastifyApplication } from '@nestjs/platform-fastify';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { SecretKeyError } from '../../src/common/crypto/at-rest-key';
import { loadConfig } from '../../src/config/app-config';
import { createApp } from '../../src/create-app';
import { User } from '../../src/users/entities/user.entity';
import { InstanceSecret } from '../../src/settings/entities/instance-secret.entity';
import { SessionKeyService } from '../../src/web/session-key.service';
import { freshDatabase, TestDatabase } from '../support/databases';
import { totpCode } from '../support/factories';
import { OAuthBrowser } from '../support/oauth';
import { ADMIN_PASSWORD, ADMIN_USERNAME, basicAuth, TestApp } from '../support/test-app';

const SEALED = /^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/;
const KEY_A = 'key-a-0123456789-0123456789-0123456789';
const KEY_B = 'key-b-0123456789-0123456789-0123456789';

/** The real application on `db` (which outlives it), as a TestApp for the helpers. */
async function boot(db: TestDatabase, env: Record<string, string>): Promise<TestApp> {
  const config = loadConfig({
    ADMIN_USERNAME,
    ADMIN_PASSWORD,
    ADMIN_EMAIL: 'admin@example.test',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_REQUESTS: '0',
    FAILED_AUTH_LIMIT: '0',
    ...db.env,
    ...env,
  });
  const app: NestFastifyApplication = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();
  return {
    app,
    config,
    dataSource: app.get(DataSource),
    http: () => request.agent(server),
    adminBasic: basicAuth(ADMIN_USERNAME, ADMIN_PASSWORD),
    logs: () => '',
    close: () => app.close(),
  };
}

/** The start's refusal, which must be a SecretKeyError. */
async function refusedStart(db: TestDatabase, env: Record<string, string>): Promise<string> {
  try {
    const t = await boot(db, env);
    await t.close();
  } catch (error) {
    assert.ok(error instanceof SecretKeyError, `expected a SecretKeyError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('the application started with the wrong key');
}

async function createUserWithTwoFactor(
  t: TestApp,
  username: string,
): Promise<{ id: string; basic: string; secret: string; password: string }> {
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const created = await t
    .http()
    .post('/api/v1/admin/users')
    .set('Authorization', t.adminBasic)
    .send({ username, email: `${username}@example.test`, password });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const basic = basicAuth(username, password);
  const start = await t.http().post('/api/v1/me/two-factor').set('Authorization', basic);
  assert.equal(start.status, 201, JSON.stringify(start.body));
  const secret = start.body.secret as string;
  const confirm = await t
    .http()
    .post('/api/v1/me/two-factor/confirm')
    .set('Authorization', basic)
    .send({ code: await totpCode(secret) });
  assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
  return { id: created.body.id as string, basic, secret, password };
}

async function storedTotpSecret(t: TestApp, id: string): Promise<string | null> {
  const rows = await t.dataSource.query<Array<{ totp_secret: string | null }>>(
    'SELECT totp_secret FROM users WHERE id = ?',
    [id],
  );
  return rows[0].totp_secret;
}

async function storedSecret(t: TestApp, name: string): Promise<string | undefined> {
  const rows = await t.dataSource.query<Array<{ value: string }>>(
    'SELECT value FROM instance_secrets WHERE name = ?',
    [name],
  );
  return rows[0]?.value;
}

describe('TOTP secrets and the session key are encrypted at rest (SPEC §12)', () => {
  let db: TestDatabase;
  let dataDir: string;

  before(async () => {
    db = await freshDatabase();
    // On SQLite the database's own directory; on MySQL/MariaDB a directory of its own.
    dataDir = db.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'tessera-key-'));
  });
  after(async () => {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('without SECRET_KEY: generates DATA_DIR/secret.key (0600), seals, and reuses it after a restart', async () => {
    const env = { DATA_DIR: dataDir };
    let t = await boot(db, env);
    let dave: Awaited<ReturnType<typeof createUserWithTwoFactor>>;
    try {
      assert.equal(statSync(join(dataDir, 'secret.key')).mode & 0o777, 0o600);
      dave = await createUserWithTwoFactor(t, 'dave');
      const stored = await storedTotpSecret(t, dave.id);
      assert.match(String(stored), SEALED);
      assert.ok(
        !String(stored).includes(dave.secret),
        'the TOTP secret is not stored in plaintext',
      );
      assert.match(String(await storedSecret(t, 'session_key')), SEALED);
      assert.match(String(await storedSecret(t, 'secret_key_check')), SEALED);
    } finally {
      await t.close();
    }
    t = await boot(db, env);
    try {
      // The secret opens after the restart: the app code signs in on /login.
      const res = await new OAuthBrowser(t).submitLogin(
        { username: 'dave', password: dave.password },
        { code: await totpCode(dave.secret) },
      );
      assert.equal(res.status, 303, res.text);
    } finally {
      await t.close();
    }
    // Another key file is another key: the start stops, naming the file.
    rmSync(join(dataDir, 'secret.key'));
    assert.match(await refusedStart(db, env), /secret\.key is not the key this database/);
  });
});

describe('a wrong SECRET_KEY stops the start; plaintext from older versions gets sealed', () => {
  let db: TestDatabase;
  let dataDir: string;

  before(async () => {
    db = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-key-'));
  });
  after(async () => {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start with another SECRET_KEY than the data was sealed with, clearly', async () => {
    const t = await boot(db, { SECRET_KEY: KEY_A, DATA_DIR: dataDir });
    await t.close();
    const message = await refusedStart(db, { SECRET_KEY: KEY_B, DATA_DIR: dataDir });
    assert.match(message, /SECRET_KEY is not the key this database was encrypted with/);
    assert.match(message, /TOTP secrets, session key and webhook URL passwords would not open/);
    assert.ok(!message.includes(KEY_A) && !message.includes(KEY_B), 'no key in the message');
  });

  it('seals a plaintext TOTP secret and session key on start, and both still work', async () => {
    let t = await boot(db, { SECRET_KEY: KEY_A, DATA_DIR: dataDir });
    const plainSecret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const plainKey = randomBytes(32);
    let eve: Awaited<ReturnType<typeof createUserWithTwoFactor>>;
    try {
      eve = await createUserWithTwoFactor(t, 'eve');
      // As an older version left them: in plaintext.
      await t.dataSource
        .getRepository(User)
        .update({ id: eve.id }, { totpSecret: plainSecret, totpLastStep: null });
      await t.dataSource
        .getRepository(InstanceSecret)
        .update({ name: 'session_key' }, { value: plainKey.toString('base64') });
    } finally {
      await t.close();
    }
    t = await boot(db, { SECRET_KEY: KEY_A, DATA_DIR: dataDir });
    try {
      const stored = String(await storedTotpSecret(t, eve.id));
      assert.match(stored, SEALED);
      assert.ok(!stored.includes(plainSecret));
      assert.match(String(await storedSecret(t, 'session_key')), SEALED);
      assert.deepEqual(await t.app.get(SessionKeyService).key(), plainKey);
      const res = await new OAuthBrowser(t).submitLogin(
        { username: 'eve', password: eve.password },
        { code: await totpCode(plainSecret) },
      );
      assert.equal(res.status, 303, res.text);
    } finally {
      await t.close();
    }
  });
});
