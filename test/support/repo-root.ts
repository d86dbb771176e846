import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The repository's root: the compiled tests live in build/test-run-<pid>/test/…, so the first
 * folder above this file that holds README.md and docker/compose.yaml.
 */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'README.md')) && existsSync(join(dir, 'docker', 'compose.yaml'))) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`no README.md with docker/compose.yaml above ${__dirname}`);
    }
    dir = parent;
  }
}
