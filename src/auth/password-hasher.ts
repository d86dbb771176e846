import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { ConcurrencyLimit } from '../common/batching/concurrency-limit';

/**
 * How many Argon2 computations may run at once. Each holds 64 MiB and a libuv thread while it
 * runs: a burst of distinct wrong passwords would otherwise take all four threads of the pool
 * (256 MiB); the rest wait their turn instead.
 */
const MAX_CONCURRENT_KDF = 2;

// Argon2id, the memory-hard KDF recommended by OWASP, with its library defaults
// (m=64 MiB, t=3, p=4).
@Injectable()
export class PasswordHasher {
  private readonly limit = new ConcurrencyLimit(MAX_CONCURRENT_KDF);

  hash(password: string): Promise<string> {
    return this.limit.run(() => argon2.hash(password, { type: argon2.argon2id }));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.limit.run(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }
}
