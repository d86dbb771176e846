import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthPrincipal, SCOPES } from '../common/auth-types';
import { AuthErrors } from '../common/errors/auth-errors';
import { User } from '../users/entities/user.entity';
import { PasswordHasher } from './password-hasher';

// Verified against when the user does not exist, so that unknown and known usernames cost the
// same time (no user enumeration by timing).
const DUMMY_HASH =
  '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpg';

/** Username (or e-mail) and password, for HTTP Basic and the login page. */
@Injectable()
export class PasswordAuthenticator {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hasher: PasswordHasher,
  ) {}

  async authenticate(login: string, password: string): Promise<AuthPrincipal> {
    const user = await this.users.findOne({
      where: login.includes('@') ? { email: login } : { username: login },
      select: {
        id: true,
        username: true,
        email: true,
        isAdmin: true,
        status: true,
        passwordHash: true,
      },
    });
    const valid = await this.hasher.verify(user?.passwordHash ?? DUMMY_HASH, password);
    if (!user || !valid) {
      throw AuthErrors.invalidCredentials();
    }
    if (user.status !== 'active') {
      throw AuthErrors.lockedAccount();
    }
    return {
      user: { id: user.id, username: user.username, email: user.email, isAdmin: user.isAdmin },
      method: 'basic_password',
      tokenId: null,
      scopes: [...SCOPES],
      tokenWorkspaceId: null,
      expiresAt: null,
      impersonatedBy: null,
    };
  }
}
