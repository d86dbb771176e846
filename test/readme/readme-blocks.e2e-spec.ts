import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppProcess, callApi, startAppProcess } from '../support/app-process';
import { freshDatabase, TestDatabase } from '../support/databases';
import { repoRoot } from '../support/repo-root';
import { basicAuth } from '../support/test-app';
import { driverScript, README_SERVER, readmeSteps, ReadmeStep, stepOutput } from './readme-steps';

const SCRIPT_TIMEOUT_MS = 120_000;
// The credential kinds of SPEC §4 that GET /me reports; the table shows each at least once.
const METHODS = [
  'bearer',
  'api_key',
  'query_key',
  'basic_token',
  'basic_password',
  'legacy_api_password',
];

function runBash(cwd: string, script: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // A clean environment: a variable the README uses must come from an earlier step, not from
    // the shell that runs the tests.
    const child = spawn('bash', ['--noprofile', '--norc', '-c', script], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), SCRIPT_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function describeStep(step: ReadmeStep): string {
  return step.kind === 'block'
    ? `the shell block at README.md:${step.line} (${step.code.split('\n')[0]})`
    : `the credential-table row at README.md:${step.line} (${step.label})`;
}

// On both databases: the server is the built app in a child process, as `./run start` runs it,
// with the defaults a reader gets (no ADMIN_PASSWORD, rate limits on), on a fresh database.
describe(
  'README: the quick start and the credential table run as pasted',
  { timeout: 240_000 },
  () => {
    const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
    let db: TestDatabase | undefined;
    let app: AppProcess | undefined;
    let dir: string | undefined;
    let steps: ReadmeStep[] = [];
    let result: { code: number | null; output: string } = { code: null, output: '' };

    before(async () => {
      steps = readmeSteps(readme);
      db = await freshDatabase();
      app = await startAppProcess({
        ...db.env,
        // Empty is unset: the first start generates the admin password and prints it once.
        ADMIN_PASSWORD: '',
        ADMIN_EMAIL: '',
        RATE_LIMIT_REQUESTS: '',
        FAILED_AUTH_LIMIT: '',
        LOG_LEVEL: 'info',
      });
      dir = mkdtempSync(join(tmpdir(), 'tessera-readme-'));
      // The quick start runs `./run start > tessera.log 2>&1 &` in the reader's shell.
      writeFileSync(join(dir, 'tessera.log'), app.output());
      const { script, files } = driverScript(steps, app.baseUrl);
      for (const [name, content] of Object.entries(files)) {
        writeFileSync(join(dir, name), content);
      }
      result = await runBash(dir, script);
    });

    after(async () => {
      try {
        await app?.stop();
      } finally {
        await db?.drop();
        if (dir) {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    });

    it('starts the server in the background into tessera.log, which the tested blocks read', () => {
      assert.ok(
        /^\.\/run start > tessera\.log 2>&1 &/m.test(readme),
        'README.md no longer starts the server with ./run start > tessera.log 2>&1 &',
      );
      const blocks = steps.filter((s) => s.kind === 'block');
      assert.ok(blocks.length >= 3, `only ${blocks.length} tested shell blocks in README.md`);
      assert.ok(blocks.some((s) => s.code.includes('tessera.log')));
      assert.ok(
        blocks.some((s) => s.code.includes(README_SERVER)),
        `the blocks do not use ${README_SERVER}, which the test replaces with its own server`,
      );
    });

    it('runs every tested shell block in order, each exiting 0', () => {
      steps.forEach((step, index) => {
        const { done, text } = stepOutput(result.output, index);
        assert.ok(
          done,
          `${describeStep(step)} failed (bash exited ${result.code}); its output:\n${text}`,
        );
      });
      assert.equal(result.code, 0, result.output);
    });

    it('gives every credential-table example the auth.method of its last column', () => {
      const rows = steps.flatMap((step, index) => (step.kind === 'row' ? [{ step, index }] : []));
      assert.deepEqual(
        [...new Set(rows.map((r) => r.step.method))].sort(),
        [...METHODS].sort(),
        'the table shows every credential kind',
      );
      for (const { step, index } of rows) {
        const { done, text } = stepOutput(result.output, index);
        assert.ok(done, `${describeStep(step)} did not run:\n${text}`);
        let me: { auth?: { method?: string } };
        try {
          me = JSON.parse(text) as { auth?: { method?: string } };
        } catch {
          assert.fail(`${describeStep(step)} printed no JSON:\n${text}`);
        }
        assert.equal(me.auth?.method, step.method, `${describeStep(step)}: ${text}`);
      }
    });

    it('leaves what the README says it creates: workspace Acme on plan pro, its project, jsmith', async () => {
      assert.ok(app);
      const password = /^ {2}password: (\S+)$/m.exec(app.output())?.[1];
      assert.ok(password, 'the first start printed the generated admin password');
      const admin = basicAuth('admin', password);
      const workspaces = await callApi(app.baseUrl, 'GET', '/api/v1/admin/workspaces', {
        auth: admin,
      });
      const acme = (workspaces.body.data as { id: string; name: string; plan: string }[]).find(
        (w) => w.name === 'Acme',
      );
      assert.ok(acme, `no workspace Acme: ${JSON.stringify(workspaces.body)}`);
      assert.equal(acme.plan, 'pro');
      assert.match(result.output, new RegExp(`^workspace ${acme.id}$`, 'm'));
      const users = await callApi(app.baseUrl, 'GET', '/api/v1/admin/users', { auth: admin });
      assert.ok(
        (users.body.data as { username: string }[]).some((u) => u.username === 'jsmith'),
        JSON.stringify(users.body),
      );
      const tokens = await callApi(
        app.baseUrl,
        'GET',
        `/api/v1/admin/tokens?workspace_id=${acme.id}`,
        {
          auth: admin,
        },
      );
      const names = (tokens.body.data as { name: string }[]).map((t) => t.name);
      assert.deepEqual(names, ['CI deploy bot']);
      assert.match(result.output, /^Website$/m, 'the project list printed the new project');
    });
  },
);
