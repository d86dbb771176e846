import { hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const RANDOM_LENGTH = BODY_LENGTH - CHECKSUM_LENGTH;
const TOKEN_PREFIX_DISPLAY_LENGTH = 11;

export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && out.length < length) {
        out += BASE62[byte % 62];
      }
    }
  }
  return out;
}

function base62Fixed(value: number, length: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/**
 * Any prefix TOKEN_PREFIX may be (2–8 lower-case letters or digits ending in `_`) and a body.
 * Tokens minted before TOKEN_PREFIX changed keep working: the prefix names new tokens only.
 */
const ANY_PREFIX_TOKEN = new RegExp(`^[a-z0-9]{1,7}_[0-9A-Za-z]{${BODY_LENGTH}}$`);

/** CRC32 of everything before the checksum, as 6 base62 characters (62^6 > 2^32). */
export function checksumOf(head: string): string {
  return base62Fixed(crc32(head), CHECKSUM_LENGTH);
}

export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/**
 * API token strings (SPEC §5): PREFIX + 26 random base62 characters + 6 checksum characters.
 * The checksum lets us, and secret scanners, refuse a mistyped or made-up token offline.
 */
export class TokenFormat {
  private readonly pattern: RegExp;

  constructor(readonly prefix: string) {
    this.pattern = new RegExp(`^${prefix.replace(/[^a-z0-9_]/g, '')}[0-9A-Za-z]{${BODY_LENGTH}}$`);
  }

  generate(): string {
    const head = this.prefix + randomBase62(RANDOM_LENGTH);
    return head + checksumOf(head);
  }

  /**
   * True when the string has our shape and its checksum matches; no I/O. The prefix may be an
   * earlier TOKEN_PREFIX: the checksum covers it, so a token is never accepted under a prefix it
   * was not minted with.
   */
  isWellFormed(token: string): boolean {
    if (!this.pattern.test(token) && !ANY_PREFIX_TOKEN.test(token)) {
      return false;
    }
    const head = token.slice(0, -CHECKSUM_LENGTH);
    return checksumOf(head) === token.slice(-CHECKSUM_LENGTH);
  }

  /**
   * A string that is meant to be a token: this prefix and the length, well-formed or not, or a
   * well-formed token of an earlier prefix.
   */
  looksLikeToken(value: string): boolean {
    return (
      (value.startsWith(this.prefix) && value.length === this.prefix.length + BODY_LENGTH) ||
      this.isWellFormed(value)
    );
  }

  displayPrefix(token: string): string {
    return token.slice(0, TOKEN_PREFIX_DISPLAY_LENGTH);
  }
}
