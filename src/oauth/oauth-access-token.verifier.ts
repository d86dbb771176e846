import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthPrincipal } from '../common/auth-types';
import { unauthorized } from '../common/errors/auth-errors';
import { sha256Hex } from '../tokens/token-format';
import { User } from '../users/entities/user.entity';
import { OAuthToken } from './entities/oauth-token.entity';
import { isOAuthAccessToken } from './oauth-constants';

/**
 * OAuth access tokens on /api/v1 (SPEC §9): they act for the user in any workspace the user
 * belongs to (named by X-Workspace-Id), limited by the granted scopes, like any credential.
 */
@Injectable()
export class OAuthAccessTokenVerifier {
  constructor(
    @InjectRepository(OAuthToken) private readonly tokens: Repository<OAuthToken>,
    @InjectRepository(User) private readonly users: Repository<User>,
  ) {}

  isAccessToken(value: string): boolean {
    return isOAuthAccessToken(value);
  }

  async verify(raw: string): Promise<AuthPrincipal> {
    const row = await this.tokens.findOneBy({ accessTokenHash: sha256Hex(raw) });
    if (!row) {
      throw unauthorized('invalid_token', 'The OAuth access token is not recognised.');
    }
    if (row.revokedAt) {
      throw unauthorized('token_revoked', 'The OAuth access token has been revoked.');
    }
    if (row.accessExpiresAt.getTime() <= Date.now()) {
      throw unauthorized('token_expired', 'The OAuth access token has expired; refresh it.');
    }
    const user = await this.users.findOne({
      where: { id: row.userId },
      select: { id: true, username: true, email: true, isAdmin: true, status: true },
    });
    if (!user || user.status !== 'active') {
      throw unauthorized('invalid_token', 'The account behind this OAuth token is locked.');
    }
    return {
      user: { id: user.id, username: user.username, email: user.email, isAdmin: user.isAdmin },
      method: 'oauth',
      tokenId: null,
      oauthTokenId: row.id,
      scopes: row.scopes,
      tokenWorkspaceId: null,
      expiresAt: row.accessExpiresAt,
      impersonatedBy: null,
      twoFactorEnabled: false,
    };
  }
}
