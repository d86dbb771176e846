import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/app-config';
import { repoRoot } from '../support/repo-root';
import {
  asList,
  asMap,
  durationMs,
  environment,
  haproxySections,
  parseCompose,
  profiles,
  withDefaults,
} from './container-files';

// No Docker engine runs where the suite runs: these read docker/ as Docker would and check it
// against the application's own code (src/main.ts, src/config/app-config.ts).
const root = repoRoot();
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const compose = parseCompose(read('docker/compose.yaml'));
const services = asMap(compose.services, 'services');
const service = (name: string): Record<string, unknown> => asMap(services[name], `service ${name}`);
const names = Object.keys(services);
const isTessera = (name: string): boolean => service(name).image === 'tessera:latest';
const appNames = names.filter(isTessera);
const inProfile = (name: string, profile: string): boolean =>
  profiles(service(name)).includes(profile);
const scaled = appNames.filter((name) => inProfile(name, 'scale'));

function dependsOn(name: string): Record<string, string> {
  const deps = service(name).depends_on;
  if (deps === undefined) {
    return {};
  }
  return Object.fromEntries(
    Object.entries(asMap(deps, `${name}.depends_on`)).map(([dep, spec]) => [
      dep,
      String(asMap(spec, `${name}.depends_on.${dep}`).condition),
    ]),
  );
}

/** The file on the host behind /run/secrets/<name>, as declared in the top-level secrets. */
function secretSource(name: string, path: string): string {
  const match = /^\/run\/secrets\/([a-z0-9_-]+)$/.exec(path);
  assert.ok(match, `${name}: ${path} is not a Docker secret (/run/secrets/…)`);
  const secret = match[1];
  assert.ok(
    asList(service(name).secrets, `${name}.secrets`).includes(secret),
    `${name} does not mount the secret ${secret}`,
  );
  const declared = asMap(asMap(compose.secrets, 'secrets')[secret], `secret ${secret}`);
  const file = String(declared.file);
  assert.match(file, /^\.\/secrets\/[a-z0-9_-]+$/, `secret ${secret} is not in docker/secrets`);
  return file;
}

describe('docker/compose.yaml', () => {
  it('runs one app and its database by default, the scaled set only with profile scale', () => {
    assert.deepEqual(names.filter((n) => profiles(service(n)).length === 0).sort(), ['app', 'db']);
    assert.ok(scaled.length >= 2, `profile scale has ${scaled.length} app instances`);
    assert.ok(inProfile('redis', 'scale'));
    assert.ok(inProfile('proxy', 'scale'));
  });

  it('has no admin or database password in the file, default or literal', () => {
    const text = read('docker/compose.yaml');
    assert.doesNotMatch(text, /\$\{[A-Z_]*PASSWORD[A-Z_]*:?-/, 'a password with a default');
    assert.doesNotMatch(text, /--password=/, 'a password on a command line');
    assert.doesNotMatch(text, /[a-z]+:\/\/[^\s/@:]+:[^\s/@]+@/, 'a URL with a password');
    for (const name of appNames) {
      const env = environment(service(name));
      for (const key of ['ADMIN_PASSWORD', 'DATABASE_URL']) {
        assert.equal(env[key], undefined, `${name} sets ${key}; it must come from ${key}_FILE`);
        assert.ok(env[`${key}_FILE`], `${name} has no ${key}_FILE`);
      }
    }
    const db = environment(service('db'));
    assert.equal(db.MYSQL_PASSWORD, undefined);
    assert.equal(db.MYSQL_ROOT_PASSWORD, undefined);
    assert.ok(db.MYSQL_PASSWORD_FILE);
  });

  it("publishes on the host's loopback only by default, the single app and the proxy on one address", () => {
    const published: Record<string, string> = {};
    for (const name of names) {
      const ports = service(name).ports;
      if (ports === undefined) {
        continue;
      }
      for (const port of asList(ports, `${name}.ports`)) {
        const spec = withDefaults(String(port));
        assert.match(spec, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${String(port)}`);
        published[name] = spec.split(':').slice(0, 2).join(':');
      }
    }
    assert.deepEqual(Object.keys(published).sort(), ['app', 'proxy']);
    assert.equal(published.app, published.proxy);
  });

  it("gives the apps and the proxy longer to stop than the app's drain, and HAProxy in between", () => {
    const drain = /const SHUTDOWN_TIMEOUT_MS = ([\d_]+);/.exec(read('src/main.ts'));
    assert.ok(drain, 'src/main.ts no longer names SHUTDOWN_TIMEOUT_MS');
    const drainMs = Number(drain[1].replaceAll('_', ''));
    for (const name of [...appNames, 'proxy']) {
      const grace = durationMs(service(name).stop_grace_period);
      assert.ok(grace > drainMs, `${name}: stop_grace_period ${grace} ms ≤ the drain ${drainMs}`);
    }
    const global = haproxySections(read('docker/haproxy.cfg')).get('global') ?? [];
    const hardStop = global.find((words) => words[0] === 'hard-stop-after');
    assert.ok(hardStop, 'haproxy.cfg has no hard-stop-after');
    const hardStopMs = durationMs(hardStop[1]);
    assert.ok(hardStopMs > drainMs);
    assert.ok(hardStopMs < durationMs(service('proxy').stop_grace_period));
  });

  describe('secrets', () => {
    let dir = '';
    const makeSecrets = () =>
      spawnSync('bash', [join(root, 'docker', 'make-secrets.sh'), dir], { encoding: 'utf8' });

    before(() => {
      dir = join(mkdtempSync(join(tmpdir(), 'tessera-secrets-')), 'secrets');
    });
    after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

    it('docker/make-secrets.sh creates them once: readable files in a private folder', () => {
      const first = makeSecrets();
      assert.equal(first.status, 0, first.stderr);
      const files = ['admin_password', 'database_url', 'db_password', 'secret_key'];
      const firstRun = files.map((f) => readFileSync(join(dir, f), 'utf8'));
      const again = makeSecrets();
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(
        files.map((f) => readFileSync(join(dir, f), 'utf8')),
        firstRun,
        'a second run changed a secret',
      );
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      for (const file of files) {
        // The containers read them as their own users (mysql, node) through compose's bind mount.
        assert.equal(statSync(join(dir, file)).mode & 0o777, 0o644, file);
      }
    });

    it('wires every *_FILE of the apps to a secret whose generated content the app accepts', () => {
      const plain = JSON.stringify(loadConfig({}));
      for (const name of appNames) {
        const fileKeys = Object.entries(environment(service(name))).filter(([key]) =>
          key.endsWith('_FILE'),
        );
        assert.ok(fileKeys.length >= 2, `${name} takes no secrets from files`);
        for (const [key, path] of fileKeys) {
          const generated = join(dir, basename(secretSource(name, path)));
          // loadConfig throws on a value it rejects; one it ignores leaves the config unchanged.
          const config = loadConfig({ [key]: generated });
          assert.notEqual(JSON.stringify(config), plain, `the app does not read ${key}`);
        }
      }
    });

    it('docker/make-secrets.sh refuses a database_url that lost its db_password', () => {
      const other = mkdtempSync(join(tmpdir(), 'tessera-secrets-'));
      try {
        const first = spawnSync('bash', [join(root, 'docker', 'make-secrets.sh'), other]);
        assert.equal(first.status, 0);
        writeFileSync(join(other, 'db_password'), 'a-new-password\n');
        const again = spawnSync('bash', [join(root, 'docker', 'make-secrets.sh'), other], {
          encoding: 'utf8',
        });
        assert.equal(again.status, 1);
        assert.match(again.stderr, /database_url does not hold the password of .*db_password/);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it("gives the database the password that is in the apps' DATABASE_URL", () => {
      const db = environment(service('db'));
      const password = readFileSync(
        join(dir, basename(secretSource('db', db.MYSQL_PASSWORD_FILE))),
        'utf8',
      ).trim();
      const app = environment(service('app'));
      const url = new URL(
        readFileSync(join(dir, basename(secretSource('app', app.DATABASE_URL_FILE))), 'utf8'),
      );
      assert.equal(url.username, db.MYSQL_USER);
      assert.equal(url.password, password);
      assert.equal(url.hostname, 'db');
      assert.equal(url.pathname, `/${db.MYSQL_DATABASE}`);
    });

    it('keeps docker/secrets out of git and out of the image build context', () => {
      assert.match(read('.gitignore'), /^\/?docker\/secrets\/?$/m);
      assert.match(read('.dockerignore'), /^\/?docker\/secrets\/?$/m);
    });
  });

  describe('profile scale', () => {
    it('shares Redis between the instances and trusts one proxy hop', () => {
      for (const name of scaled) {
        const env = environment(service(name));
        assert.equal(env.REDIS_URL, 'redis://redis:6379', `${name}: REDIS_URL`);
        assert.equal(loadConfig({ REDIS_URL: env.REDIS_URL }).redisUrl, env.REDIS_URL);
        assert.equal(env.TRUST_PROXY, '1', `${name}: TRUST_PROXY`);
        assert.equal(service(name).ports, undefined, `${name} is published around the proxy`);
        assert.equal(dependsOn(name).redis, 'service_healthy');
      }
      assert.match(String(service('redis').image), /^redis:/);
      assert.equal(service('redis').ports, undefined);
    });

    it('starts one instance after the other is ready (migrations and the admin run once)', () => {
      const waiting = scaled.filter((name) =>
        scaled.some((other) => dependsOn(name)[other] === 'service_healthy'),
      );
      assert.equal(waiting.length, scaled.length - 1);
    });

    it("puts HAProxy in front, its backend naming every instance on the app's port", () => {
      const proxy = service('proxy');
      assert.match(String(proxy.image), /^haproxy:/);
      assert.ok(
        asList(proxy.volumes, 'proxy.volumes').includes(
          './haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro',
        ),
      );
      for (const name of scaled) {
        assert.equal(dependsOn('proxy')[name], 'service_healthy');
      }
      const sections = haproxySections(read('docker/haproxy.cfg'));
      const [frontendName, frontend] =
        [...sections].find(([section]) => section.startsWith('frontend ')) ?? [];
      assert.ok(frontend, `no frontend in haproxy.cfg (${frontendName})`);
      const bind = frontend.find((words) => words[0] === 'bind');
      const published = withDefaults(String(asList(proxy.ports, 'proxy.ports')[0]));
      assert.equal(bind?.[1], `:${published.split(':').at(-1)}`);
      const backendName = frontend.find((words) => words[0] === 'default_backend')?.[1];
      const backend = sections.get(`backend ${backendName}`);
      assert.ok(backend, `no backend ${backendName}`);
      const servers = backend.filter((words) => words[0] === 'server').map((words) => words[2]);
      assert.deepEqual(servers.sort(), scaled.map((name) => `${name}:3000`).sort());
      assert.ok(
        backend.some((words) => words.join(' ') === 'http-check send meth GET uri /health/ready'),
        'the backend checks /health/ready',
      );
    });
  });
});

describe('docker/Dockerfile', () => {
  const lines = read('docker/Dockerfile').split('\n');

  it('has no "# syntax" line (it builds without fetching a frontend image)', () => {
    assert.equal(
      lines.some((line) => /^#\s*syntax\s*=/i.test(line)),
      false,
    );
  });

  it('builds and runs on node:24', () => {
    const args = new Map<string, string>();
    const bases: string[] = [];
    for (const line of lines) {
      const arg = /^ARG\s+([A-Za-z_]+)=(\S+)/.exec(line);
      if (arg) {
        args.set(arg[1], arg[2]);
      }
      const from = /^FROM\s+(\S+)/.exec(line);
      if (from) {
        bases.push(
          from[1].replace(/\$\{?([A-Za-z_]+)\}?/g, (_, name: string) => args.get(name) ?? ''),
        );
      }
    }
    assert.equal(bases.length, 2);
    for (const base of bases) {
      assert.match(base, /^node:24(-|$)/);
    }
  });
});
