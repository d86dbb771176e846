import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE_FLAGS } from '../../src/node-flags';
import { repoRoot } from '../support/repo-root';

// The server runs with the same heap settings wherever it is started (src/node-flags.ts).
describe('NODE_FLAGS', () => {
  const root = repoRoot();

  it('are what npm start and npm run start:prod start the server with', () => {
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const name of ['start', 'start:prod']) {
      assert.equal(scripts[name], `node ${NODE_FLAGS.join(' ')} dist/main.js`, name);
    }
  });

  it('are what the container starts the server with', () => {
    const dockerfile = readFileSync(join(root, 'docker', 'Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    assert.ok(cmd, 'the Dockerfile has a CMD line');
    assert.deepEqual(JSON.parse(cmd[1]), ['node', ...NODE_FLAGS, 'dist/main.js']);
  });

  it('are flags this Node.js accepts', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(process.execPath, [...NODE_FLAGS, '-p', '1+1'], { encoding: 'utf8' });
    assert.equal(out.trim(), '2');
  });
});
