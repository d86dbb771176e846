import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** DATA_DIR cannot hold the embedded database; the message says which directory and user. */
export class DataDirError extends Error {}

/**
 * Creates DATA_DIR and proves this process can write there, before the database is opened: a
 * directory the process cannot write (a volume owned by another uid) otherwise shows up only
 * as SQLite's "unable to open database file" after the connection retries run out.
 */
export function prepareDataDir(dir: string): void {
  const probe = join(dir, `.tessera-write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const uid = process.getuid?.() ?? 'unknown';
    throw new DataDirError(
      `DATA_DIR ${dir} is not writable by this process (uid ${uid}, ${code}). The embedded ` +
        'SQLite database lives there: make the directory (or the mounted volume) writable by ' +
        `uid ${uid}, set DATA_DIR to a directory it can write, or use DATABASE_URL.`,
    );
  }
}
