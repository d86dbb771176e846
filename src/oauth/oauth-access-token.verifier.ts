import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthCache, CachedOAuthToken } from '../cache/auth-cache.service';
import { AuthPrincipal } from '../auth/auth-types';
import { unauthorized } from '../auth/auth-errors';
import { sha256Hex } from '../tokens/token-format';
import { User } from '../users/entities/user.entity';
import { OAuthToken } from './entities/oauth-token.entity';
import { isOAuthAccessToken } from './oauth-constants';

/**
 * OAuth access tokens on /api/v1 (SPEC §9): they act for the user in any workspace the user
 * belongs to (named by X-Workspace-Id), limited by the granted scopes, like any credential.
 * Looked up through the auth cache like API tokens: revoking a grant, deleting its application
 * or locking its user drops the cached entries at once (on every instance with REDIS_URL).
 */
@Injectable()
export class OAuthAccessTokenVerifier {
  constructor(
    @InjectRepository(OAuthToken) private readonly tokens: Repository<OAuthToken>,
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly cache: AuthCache,
  ) {}

  isAccessToken(value: string): boolean {
    return isOAuthAccessToken(value);
  }

  async verify(raw: string): Promise<AuthPrincipal> {
    const token = await this.find(raw);
    if (!token) {
      throw unauthorized('invalid_token', 'The OAuth access token is not recognised.');
    }
    if (token.revokedAt) {
      throw unauthorized('token_revoked', 'The OAuth access token has been revoked.');
    }
    if (token.expiresAt.getTime() <= Date.now()) {
      throw unauthorized('token_expired', 'The OAuth access token has expired; refresh it.');
    }
    const { user } = token;
    if (user.status !== 'active') {
      throw unauthorized('invalid_token', 'The account behind this OAuth token is locked.');
    }
    return {
      user: { id: user.id, username: user.username, email: user.email, isAdmin: user.isAdmin },
      method: 'oauth',
      tokenId: null,
      oauthTokenId: token.id,
      scopes: token.scopes,
      tokenWorkspaceId: null,
      expiresAt: token.expiresAt,
      impersonatedBy: null,
      twoFactorEnabled: false,
    };
  }

  /** The access token `raw` names, whatever its state; null when none was issued. */
  async find(raw: string): Promise<CachedOAuthToken | null> {
    const hash = sha256Hex(raw);
    const cached = this.cache.oauthTokens.get(hash);
    if (cached) {
      return cached;
    }
    if (this.cache.unknownTokens.get(hash)) {
      return null;
    }
    const generation = this.cache.currentGeneration;
    const row = await this.tokens.findOneBy({ accessTokenHash: hash });
    const user = row
      ? await this.users.findOne({
          where: { id: row.userId },
          select: { id: true, username: true, email: true, isAdmin: true, status: true },
        })
      : null;
    if (!row || !user) {
      this.cache.store(this.cache.unknownTokens, hash, true, generation);
      return null;
    }
    const token: CachedOAuthToken = {
      id: row.id,
      applicationId: row.applicationId,
      familyId: row.familyId,
      scopes: row.scopes,
      expiresAt: row.accessExpiresAt,
      revokedAt: row.revokedAt,
      createdAt: row.createdAt,
      user: {
        id: user.id,
        username: user.username,
        email: user.email,
        isAdmin: user.isAdmin,
        status: user.status,
      },
    };
    this.cache.store(this.cache.oauthTokens, hash, token, generation);
    return token;
  }
}
