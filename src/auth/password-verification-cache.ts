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
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(private readonly hasher: PasswordHasher) {}

  async verify(storedHash: string, password: string): Promise<boolean> {
    const key = createHmac('sha256', this.secret)
      .update(storedHash)
      .update('\0')
      .update(password)
      .digest('base64');
    const until = this.verified.get(key);
    if (until !== undefined && until > Date.now()) {
      return true;
    }
    // Concurrent checks of the same credentials share one KDF run: a script's burst of parallel
    // requests costs one 64 MiB Argon2 computation, not one per connection.
    const running = this.inFlight.get(key);
    if (running) {
      return running;
    }
    const check = this.hasher
      .verify(storedHash, password)
      .then((ok) => {
        if (ok) {
          this.remember(key);
        }
        return ok;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, check);
    return check;
  }

  private remember(key: string): void {
    if (this.verified.size >= MAX_ENTRIES) {
      // Oldest insertion first: Map keeps insertion order.
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) {
        this.verified.delete(oldest);
      }
    }
    this.verified.delete(key);
    this.verified.set(key, Date.now() + TTL_MS);
  }

  clear(): void {
    this.verified.clear();
  }
}
