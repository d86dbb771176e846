import { createHash, randomInt } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
// Crockford's base32 in lower case: no i, l, o, u to misread. 10 characters: 50 random bits.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const HALF = 5;

/** A new recovery code as shown to the user: "xxxxx-xxxxx". */
export function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < HALF * 2; i++) {
    code += ALPHABET[randomInt(ALPHABET.length)];
  }
  return `${code.slice(0, HALF)}-${code.slice(HALF)}`;
}

/** The code as typed (any case, with or without the dash or spaces), or null if it is not one. */
export function normaliseRecoveryCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, '').toLowerCase();
  return code.length === HALF * 2 && [...code].every((c) => ALPHABET.includes(c)) ? code : null;
}

/**
 * What is stored: SHA-256 of the user id and the normalised code. The codes are random (50 bits,
 * single use, behind the failed-guess limits), not passwords: a fast hash is enough.
 */
export function recoveryCodeHash(userId: string, normalised: string): string {
  return createHash('sha256').update(`${userId}:${normalised}`).digest('hex');
}
