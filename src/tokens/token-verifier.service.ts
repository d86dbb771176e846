import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthMethod, AuthPrincipal } from '../common/auth-types';
import { AuthErrors } from '../common/errors/auth-errors';
import { User } from '../users/entities/user.entity';
import { ApiToken } from './entities/api-token.entity';
import { TokenFormat, sha256Hex } from './token-format';

/** Turns an API token string into a principal, or refuses it with the SPEC's code. */
@Injectable()
export class TokenVerifier {
  constructor(
    private readonly format: TokenFormat,
    @InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>,
    @InjectRepository(User) private readonly users: Repository<User>,
  ) {}

  isToken(value: string): boolean {
    return this.format.looksLikeToken(value);
  }

  /** Checks a token; usage (last_used_*) is recorded by the caller once the request is let in. */
  async verify(raw: string, method: AuthMethod): Promise<AuthPrincipal> {
    // Shape and checksum first: a typo or a guess never reaches the database.
    if (!this.format.isWellFormed(raw)) {
      throw AuthErrors.malformedToken();
    }
    const token = await this.tokens.findOne({
      where: { tokenHash: sha256Hex(raw) },
      select: {
        id: true,
        userId: true,
        workspaceId: true,
        scopes: true,
        expiresAt: true,
        revokedAt: true,
      },
    });
    if (!token) {
      throw AuthErrors.unknownToken();
    }
    const now = Date.now();
    if (token.revokedAt && token.revokedAt.getTime() <= now) {
      throw AuthErrors.revoked();
    }
    if (token.expiresAt.getTime() <= now) {
      throw AuthErrors.expired();
    }
    const user = await this.users.findOne({
      where: { id: token.userId },
      select: { id: true, username: true, email: true, isAdmin: true, status: true },
    });
    if (!user) {
      throw AuthErrors.unknownToken();
    }
    if (user.status !== 'active') {
      throw AuthErrors.lockedTokenOwner();
    }
    return {
      user: { id: user.id, username: user.username, email: user.email, isAdmin: user.isAdmin },
      method,
      tokenId: token.id,
      scopes: token.scopes,
      tokenWorkspaceId: token.workspaceId,
      expiresAt: token.expiresAt,
      impersonatedBy: null,
      twoFactorEnabled: false,
    };
  }
}
