#!/usr/bin/env node
// tsc emits only JavaScript. The code also reads files beside itself at run time (the page
// templates in src/web/templates, the stylesheet and script in src/web/assets), so every build
// copies each non-TypeScript file of src/ to the same place in the compiled tree:
//   node scripts/copy-assets.mjs <folder compiled from src/>     (dist, build/test-run-1/src, ...)
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src', import.meta.url));

export function copyAssets(target, from = source) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const path = join(from, entry.name);
    const to = join(target, entry.name);
    if (entry.isDirectory()) {
      copyAssets(to, path);
    } else if (!entry.name.endsWith('.ts')) {
      mkdirSync(target, { recursive: true });
      copyFileSync(path, to);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.length !== 3) {
    console.error('Usage: node scripts/copy-assets.mjs <folder compiled from src/>');
    process.exit(2);
  }
  copyAssets(resolve(process.argv[2]));
}
