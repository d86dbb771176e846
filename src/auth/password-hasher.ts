import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

// Argon2id, the memory-hard KDF recommended by OWASP, with its library defaults
// (m=64 MiB, t=3, p=4).
@Injectable()
export class PasswordHasher {
  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }
}
