import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^v1:([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22}):([A-Za-z0-9_-]*)$/;

/** A sealed value cannot be opened: wrong key, another purpose, or tampered with. */
export class SecretBoxError extends Error {}

/**
 * The 32-byte key of the at-rest encryption, derived from SECRET_KEY (or the generated key file)
 * with HKDF-SHA256: the configured text is never used as a key directly.
 */
export function deriveAtRestKey(secretKey: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), 'tessera-at-rest', 'tessera at-rest v1', 32),
  );
}

/**
 * AES-256-GCM for secrets kept in the database (TOTP secrets, the session key, webhook URL
 * passwords), in a versioned, self-describing text form: `v1:<iv>:<tag>:<ciphertext>`, each part
 * base64url. `purpose` is the additional authenticated data: a value sealed for one row or use
 * does not open for another.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) {
      throw new RangeError('SecretBox needs a 32-byte key');
    }
  }

  /** Whether `value` is in the sealed form (plaintext written by an older version is not). */
  static isSealed(value: string): boolean {
    return SEALED.test(value);
  }

  seal(plaintext: string, purpose: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ciphertext.toString('base64url'),
    ].join(':');
  }

  open(sealed: string, purpose: string): string {
    const parts = SEALED.exec(sealed);
    if (!parts) {
      throw new SecretBoxError('not a sealed value');
    }
    const [, iv, tag, ciphertext] = parts;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(purpose, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretBoxError('the value does not open with this key');
    }
  }
}
