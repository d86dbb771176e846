import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** The at-rest key cannot be read, created, or does not match the data: the start stops. */
export class SecretKeyError extends Error {}

export const KEY_FILE_NAME = 'secret.key';

/**
 * The text the at-rest key is derived from: SECRET_KEY when configured, else the content of
 * DATA_DIR/secret.key, generated (32 random bytes, mode 0600) on the first start and reused on
 * every later one. Instances sharing a database must share it: set SECRET_KEY on all of them.
 */
export function atRestKeyMaterial(secretKey: string | null, dataDir: string): string {
  if (secretKey !== null) {
    return secretKey;
  }
  const file = join(dataDir, KEY_FILE_NAME);
  try {
    mkdirSync(dataDir, { recursive: true });
    try {
      // 'wx': of two processes starting at once, one creates the file and the other reads it.
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, {
        flag: 'wx',
        mode: 0o600,
      });
      chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
    const content = readFileSync(file, 'utf8').trim();
    if (content.length < 32) {
      throw new SecretKeyError(
        `${file} holds no usable key (fewer than 32 characters); restore it from a backup or ` +
          'set SECRET_KEY to the key the data was encrypted with.',
      );
    }
    return content;
  } catch (error) {
    if (error instanceof SecretKeyError) {
      throw error;
    }
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new SecretKeyError(
      `Cannot read or create the at-rest encryption key ${file} (${code}). Set SECRET_KEY ` +
        '(or SECRET_KEY_FILE), or make DATA_DIR writable by this process.',
    );
  }
}
