import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The pages' one stylesheet and one script, served from /assets: no inline scripts or styles, so
// the strict Content-Security-Policy holds. They live in src/web/assets, which every build copies
// beside the compiled code (scripts/copy-assets.mjs); read once at start.

function asset(file: string): string {
  const path = join(__dirname, 'assets', file);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `Page asset ${path} is missing: the build copies src/web/assets beside the compiled code (scripts/copy-assets.mjs)`,
      { cause: error },
    );
  }
}

export const TESSERA_CSS = asset('tessera.css');
export const TESSERA_JS = asset('tessera.js');
