import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './app-config';

/** Runs loadConfig and returns the ConfigError it throws (failing the test if it does not). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('uses SQLite under ./data, 127.0.0.1:3000, ts_ and no admin password', () => {
      const config = loadConfig({});
      assert.equal(config.dataDir, resolve('data'));
      assert.deepEqual(config.database, {
        type: 'sqlite',
        path: resolve('data', 'tessera.sqlite'),
      });
      assert.equal(config.port, 3000);
      assert.equal(config.host, '127.0.0.1');
      assert.equal(config.publicUrl, 'http://127.0.0.1:3000');
      assert.equal(config.tokenPrefix, 'ts_');
      assert.equal(config.redisUrl, null);
      assert.equal(config.logLevel, 'info');
      assert.deepEqual(config.admin, {
        username: 'admin',
        email: 'admin@localhost',
        password: null,
      });
    });

    it('puts the SQLite file in DATA_DIR', () => {
      const config = loadConfig({ DATA_DIR: '/var/lib/tessera' });
      assert.equal(config.dataDir, '/var/lib/tessera');
      assert.deepEqual(config.database, {
        type: 'sqlite',
        path: '/var/lib/tessera/tessera.sqlite',
      });
    });

    it('derives the public URL from HOST and PORT, as the container sets them', () => {
      const config = loadConfig({ HOST: '0.0.0.0', PORT: '3456', DATA_DIR: '/data' });
      assert.equal(config.host, '0.0.0.0');
      assert.equal(config.port, 3456);
      assert.equal(config.publicUrl, 'http://0.0.0.0:3456');
      assert.equal(config.database.type, 'sqlite');
    });

    it('brackets an IPv6 HOST in the derived public URL', () => {
      assert.equal(loadConfig({ HOST: '::' }).publicUrl, 'http://[::]:3000');
      assert.equal(loadConfig({ HOST: '::1', PORT: '8080' }).publicUrl, 'http://[::1]:8080');
    });

    it('takes PUBLIC_URL as given, without a trailing slash', () => {
      const config = loadConfig({ PUBLIC_URL: 'https://tessera.example.com/' });
      assert.equal(config.publicUrl, 'https://tessera.example.com');
    });

    it('limits failed sign-ins to 20 per address and 10 per account in 300 seconds', () => {
      assert.deepEqual(loadConfig({}).rateLimit, {
        requests: 1200,
        windowMs: 60_000,
        failedAuth: 20,
        failedAuthWindowMs: 300_000,
        failedLoginPerAccount: 10,
        leakedReports: 10,
        leakedReportsWindowMs: 60_000,
      });
      const tuned = loadConfig({ FAILED_LOGIN_ACCOUNT_LIMIT: '5' }).rateLimit;
      assert.equal(tuned.failedLoginPerAccount, 5);
      assert.equal(
        loadConfig({ FAILED_LOGIN_ACCOUNT_LIMIT: '0' }).rateLimit.failedLoginPerAccount,
        0,
      );
    });

    it('refuses private webhook targets and retries after a minute, eight times, by default', () => {
      assert.deepEqual(loadConfig({}).webhooks, {
        allowPrivate: false,
        pollMs: 1000,
        retryBaseMs: 60_000,
        maxAttempts: 8,
        timeoutMs: 10_000,
      });
      const custom = loadConfig({
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_POLL_MS: '50',
        WEBHOOK_RETRY_BASE_MS: '200',
        WEBHOOK_MAX_ATTEMPTS: '3',
      }).webhooks;
      assert.deepEqual(
        [custom.allowPrivate, custom.pollMs, custom.retryBaseMs, custom.maxAttempts],
        [true, 50, 200, 3],
      );
      const problems = configError({
        WEBHOOK_ALLOW_PRIVATE: 'yes',
        WEBHOOK_MAX_ATTEMPTS: '0',
      }).problems.join('\n');
      assert.match(problems, /WEBHOOK_ALLOW_PRIVATE must be true or false/);
      assert.match(problems, /WEBHOOK_MAX_ATTEMPTS/);
    });

    it('treats empty variables as unset (compose passes ADMIN_PASSWORD= through)', () => {
      const config = loadConfig({ ADMIN_PASSWORD: '', PORT: '', DATABASE_URL: '' });
      assert.equal(config.admin.password, null);
      assert.equal(config.port, 3000);
      assert.equal(config.database.type, 'sqlite');
    });
  });

  describe('DATABASE_URL', () => {
    it('accepts mysql:// as MySQL', () => {
      const url = 'mysql://tessera:tessera@db:3306/tessera';
      assert.deepEqual(loadConfig({ DATABASE_URL: url }).database, { type: 'mysql', url });
    });

    it('accepts mariadb:// and hands the driver a mysql:// URL', () => {
      const config = loadConfig({ DATABASE_URL: 'mariadb://root@127.0.0.1:3306/tessera' });
      assert.deepEqual(config.database, {
        type: 'mysql',
        url: 'mysql://root@127.0.0.1:3306/tessera',
      });
    });

    it('refuses any other URL, naming the variable', () => {
      for (const url of ['postgres://u:p@h/db', 'tessera.sqlite', 'mysql:// spaces']) {
        const error = configError({ DATABASE_URL: url });
        assert.match(error.message, /DATABASE_URL/, url);
        assert.equal(error.problems.length, 1);
      }
    });
  });

  describe('refusals', () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['PORT=abc', { PORT: 'abc' }, 'PORT'],
      ['PORT=70000', { PORT: '70000' }, 'PORT'],
      ['PORT=-1', { PORT: '-1' }, 'PORT'],
      ['PORT=3000.5', { PORT: '3000.5' }, 'PORT'],
      ['a TOKEN_PREFIX without the underscore', { TOKEN_PREFIX: 'ts' }, 'TOKEN_PREFIX'],
      ['an upper-case TOKEN_PREFIX', { TOKEN_PREFIX: 'TS_' }, 'TOKEN_PREFIX'],
      ['a too long TOKEN_PREFIX', { TOKEN_PREFIX: 'tesserax_' }, 'TOKEN_PREFIX'],
      ['an ADMIN_PASSWORD of 11 characters', { ADMIN_PASSWORD: 'short-pass1' }, 'ADMIN_PASSWORD'],
      ['a PUBLIC_URL without a scheme', { PUBLIC_URL: 'tessera.example.com' }, 'PUBLIC_URL'],
      ['an unknown LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      ['an ADMIN_EMAIL without @', { ADMIN_EMAIL: 'admin' }, 'ADMIN_EMAIL'],
      [
        'a negative FAILED_LOGIN_ACCOUNT_LIMIT',
        { FAILED_LOGIN_ACCOUNT_LIMIT: '-1' },
        'FAILED_LOGIN_ACCOUNT_LIMIT',
      ],
      [
        'a FAILED_LOGIN_ACCOUNT_LIMIT that is not a number',
        { FAILED_LOGIN_ACCOUNT_LIMIT: 'ten' },
        'FAILED_LOGIN_ACCOUNT_LIMIT',
      ],
    ];
    for (const [label, env, variable] of cases) {
      it(`throws a ConfigError naming ${variable} for ${label}`, () => {
        const error = configError(env);
        assert.equal(error.problems.length, 1, error.message);
        assert.match(error.problems[0], new RegExp(`^${variable}\\b`));
        assert.match(error.message, new RegExp(variable));
      });
    }

    it('accepts a 12-character ADMIN_PASSWORD and custom TOKEN_PREFIX', () => {
      const config = loadConfig({ ADMIN_PASSWORD: 'twelve-chars', TOKEN_PREFIX: 'acme1_' });
      assert.equal(config.admin.password, 'twelve-chars');
      assert.equal(config.tokenPrefix, 'acme1_');
    });

    it('reports every problem at once', () => {
      const error = configError({
        PORT: 'abc',
        DATABASE_URL: 'postgres://db/tessera',
        TOKEN_PREFIX: 'nope',
        ADMIN_PASSWORD: 'short',
      });
      assert.equal(error.problems.length, 4, error.message);
      for (const variable of ['PORT', 'DATABASE_URL', 'TOKEN_PREFIX', 'ADMIN_PASSWORD']) {
        assert.ok(
          error.problems.some((p) => p.startsWith(variable)),
          `${variable} missing from ${error.message}`,
        );
      }
      assert.match(error.message, /^Invalid configuration:\n {2}- /);
    });

    it('never echoes a rejected secret (ADMIN_PASSWORD, the password in DATABASE_URL)', () => {
      const error = configError({
        ADMIN_PASSWORD: 'hunter2-abc',
        DATABASE_URL: 'postgres://tessera:s3cret-db-pw@db/tessera',
      });
      assert.equal(error.problems.length, 2, error.message);
      assert.doesNotMatch(error.message, /hunter2|s3cret/);
    });
  });
});

describe('secrets from files (KEY_FILE, the Docker secrets convention)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-secrets-'));
  const secret = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads DATABASE_URL, ADMIN_PASSWORD and REDIS_URL from files, less the trailing newline', () => {
    const config = loadConfig({
      DATABASE_URL_FILE: secret('db', 'mysql://tessera:pw@db:3306/tessera\n'),
      ADMIN_PASSWORD_FILE: secret('admin', 'a long admin password\r\n'),
      REDIS_URL_FILE: secret('redis', 'redis://cache:6379'),
    });
    assert.deepEqual(config.database, { type: 'mysql', url: 'mysql://tessera:pw@db:3306/tessera' });
    assert.equal(config.admin.password, 'a long admin password');
    assert.equal(config.redisUrl, 'redis://cache:6379');
  });

  it('validates a value read from a file like any other, without echoing it', () => {
    const error = configError({ ADMIN_PASSWORD_FILE: secret('short', 'hunter2\n') });
    assert.match(error.message, /ADMIN_PASSWORD must be at least 12 characters/);
    assert.doesNotMatch(error.message, /hunter2/);
  });

  it('refuses a missing or empty file, and a variable set both ways, naming them', () => {
    const missing = configError({ DATABASE_URL_FILE: join(dir, 'nope') });
    assert.match(missing.message, /DATABASE_URL_FILE: cannot read .*nope \(ENOENT\)/);
    const empty = configError({ REDIS_URL_FILE: secret('empty', '\n') });
    assert.match(empty.message, /REDIS_URL_FILE: .* is empty/);
    const both = configError({
      ADMIN_PASSWORD: 'a long admin password',
      ADMIN_PASSWORD_FILE: secret('both', 'another long password'),
    });
    assert.match(both.message, /ADMIN_PASSWORD and ADMIN_PASSWORD_FILE are both set/);
  });
});

describe('starting the server with a bad configuration', () => {
  // This spec runs from build/src/config/, next to the compiled entry point.
  const main = join(__dirname, '..', 'main.js');

  it('exits non-zero with a message naming PORT when PORT=abc', () => {
    assert.ok(existsSync(main), `${main} not found; run the test runner, which compiles it`);
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
    try {
      const run = spawnSync(process.execPath, [main], {
        env: { PATH: process.env.PATH, PORT: 'abc', DATA_DIR: dataDir },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(run.error, undefined, String(run.error));
      assert.equal(run.signal, null, 'the process should exit by itself, not time out');
      assert.equal(run.status, 78, `expected EX_CONFIG, got ${run.status}: ${run.stderr}`);
      assert.match(run.stderr, /PORT must be a whole number \(got "abc"\)/);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'a configuration error is not a crash');
      assert.doesNotMatch(run.stdout, /listening/i);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('starting the server with a DATA_DIR it cannot write', () => {
  const main = join(__dirname, '..', 'main.js');

  /** Starts the server and checks it exits at once with 73, naming the directory and uid. */
  function assertRefused(dataDir: string, code: string, uid: number | undefined): void {
    const started = Date.now();
    const run = spawnSync(process.execPath, [main], {
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 20_000,
      ...(uid === process.getuid?.() ? {} : { uid, gid: uid }),
    });
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(run.signal, null, 'the process should exit by itself, not time out');
    assert.equal(run.status, 73, `expected EX_CANTCREAT, got ${run.status}: ${run.stderr}`);
    assert.ok(
      run.stderr.includes(
        `DATA_DIR ${dataDir} is not writable by this process (uid ${uid}, ${code})`,
      ),
      run.stderr,
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'a start-up refusal is not a crash');
    assert.ok(Date.now() - started < 15_000, 'no connection retries before the refusal');
  }

  it('exits at once (73) when DATA_DIR is below a file', () => {
    const parent = mkdtempSync(join(tmpdir(), 'tessera-datadir-'));
    try {
      writeFileSync(join(parent, 'file'), '');
      assertRefused(join(parent, 'file', 'data'), 'ENOTDIR', process.getuid?.());
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('exits at once (73) when the user may not write there (EACCES)', (t) => {
    const parent = mkdtempSync(join(tmpdir(), 'tessera-datadir-'));
    // Root may write anywhere: as root (CI), run the server as nobody in a root-owned directory.
    const asRoot = process.getuid?.() === 0;
    const uid = asRoot ? 65534 : process.getuid?.();
    const canRun = spawnSync(
      process.execPath,
      ['-e', `require('node:fs').accessSync(${JSON.stringify(main)}, 4)`],
      { ...(asRoot ? { uid: 65534, gid: 65534 } : {}), timeout: 10_000 },
    );
    if (canRun.status !== 0) {
      rmSync(parent, { recursive: true, force: true });
      t.skip('the unprivileged user cannot read this checkout, so it cannot start the server');
      return;
    }
    chmodSync(parent, asRoot ? 0o755 : 0o555);
    try {
      assertRefused(join(parent, 'data'), 'EACCES', uid);
    } finally {
      chmodSync(parent, 0o755);
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
