import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { PasswordHasher } from './password-hasher';

const TTL_MS = 10 * 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Remembers successful password checks so that a script sending the same Basic or legacy
 * credentials on every call pays the memory-hard KDF once per ten minutes, not per request.
 *
 * Entries are keyed by HMAC(process secret, stored hash + password): the password itself is never
 * kept, the key is useless outside this process, and changing the password (a new stored hash)
 * makes every old entry unreachable. Failures are never cached, so guessing stays slow.
 */
@Injectable()
export class PasswordVerificationCache {
  private readonly secret = randomBytes(32);
  private readonly verified = new Map<string, number>();

  constructor(private readonly hasher: PasswordHasher) {}

  async verify(storedHash: string, password: string): Promise<boolean> {
    const key = createHmac('sha256', this.secret)
      .update(storedHash)
      .update('\0')
      .update(password)
      .digest('base64');
    const now = Date.now();
    const until = this.verified.get(key);
    if (until !== undefined && until > now) {
      return true;
    }
    const ok = await this.hasher.verify(storedHash, password);
    if (ok) {
      if (this.verified.size >= MAX_ENTRIES) {
        // Oldest insertion first: Map keeps insertion order.
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) {
          this.verified.delete(oldest);
        }
      }
      this.verified.delete(key);
      this.verified.set(key, now + TTL_MS);
    }
    return ok;
  }

  clear(): void {
    this.verified.clear();
  }
}
