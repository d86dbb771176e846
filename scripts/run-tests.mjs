#!/usr/bin/env node
// Compiles src/ and test/ and runs every unit spec and end-to-end spec with node's test runner.
// TEST_DATABASE_URL=mysql://user:pass@host:3306 runs the suite on MySQL/MariaDB (each test file
// creates and drops its own fresh database); without it, each file uses a fresh SQLite file.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { copyAssets } from './copy-assets.mjs';

const root = new URL('..', import.meta.url).pathname;
// A build folder of this run's own, so that parallel runs never overwrite each other's files.
const build = join(root, 'build', `test-run-${process.pid}`);
rmSync(build, { recursive: true, force: true });
process.on('exit', () => rmSync(build, { recursive: true, force: true }));
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', build, '--incremental', 'false'],
  { cwd: root, stdio: 'inherit' },
);
if (tsc.status !== 0) {
  process.exit(tsc.status ?? 1);
}
// The page templates and assets the compiled code reads beside itself.
copyAssets(join(build, 'src'));

function find(dir, suffixes) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      out.push(...find(path, suffixes));
    } else if (suffixes.some((s) => name.endsWith(s))) {
      out.push(path);
    }
  }
  return out;
}

const filter = process.argv.slice(2);
const files = [...find(join(build, 'src'), ['.spec.js']), ...find(join(build, 'test'), ['.e2e-spec.js'])]
  .filter((f) => filter.length === 0 || filter.some((needle) => f.includes(needle)))
  .sort();
if (files.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}
const target = process.env.TEST_DATABASE_URL ? 'MySQL/MariaDB' : 'embedded SQLite';
console.log(`Running ${files.length} test files against ${target}`);
const run = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(run.status ?? 1);
