import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthCache } from '../cache/auth-cache.service';
import { InvalidatingCache } from '../cache/invalidating-cache';
import { AuthPrincipal, Scope } from '../auth/auth-types';
import { unauthorized } from '../auth/auth-errors';
import { sha256Hex } from '../tokens/token-format';
import { User, UserStatus, UserType } from '../users/entities/user.entity';
import { OAuthToken } from './entities/oauth-token.entity';
import { isOAuthAccessToken } from './oauth-constants';

/** An OAuth access token and its owner (SPEC §9). */
export interface CachedOAuthToken {
  id: string;
  applicationId: string;
  familyId: string;
  scopes: Scope[];
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
  user: {
    id: string;
    username: string;
    email: string;
    isAdmin: boolean;
    status: UserStatus;
    type: UserType;
  };
}

/**
 * OAuth access tokens on /api/v1 (SPEC §9): they act for the user in any workspace the user
 * belongs to (named by X-Workspace-Id), limited by the granted scopes, like any credential.
 * Looked up through the auth cache like API tokens: revoking a grant, deleting its application
 * or locking its user drops the cached entries at once (on every instance with REDIS_URL).
 */
@Injectable()
export class OAuthAccessTokenVerifier {
  // By access token hash; null remembers a hash nobody issued.
  private readonly cache: InvalidatingCache<string, CachedOAuthToken>;

  constructor(
    @InjectRepository(OAuthToken) private readonly tokens: Repository<OAuthToken>,
    @InjectRepository(User) private readonly users: Repository<User>,
    authCache: AuthCache,
  ) {
    this.cache = authCache.create<CachedOAuthToken>({
      name: 'oauth-access-tokens',
      rememberMisses: true,
      dropOn: {
        user: (event) => (token) => token.user.id === event.userId,
        oauth_family: (event) => (token) => token.familyId === event.familyId,
        oauth_application: (event) => (token) => token.applicationId === event.applicationId,
      },
    });
  }

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
      user: {
        id: user.id,
        username: user.username,
        email: user.email,
        isAdmin: user.isAdmin,
        type: user.type,
      },
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
    const cached = this.cache.get(hash);
    return cached === undefined ? this.cache.getOrLoad(hash, () => this.load(hash)) : cached;
  }

  private async load(hash: string): Promise<CachedOAuthToken | null> {
    const row = await this.tokens.findOneBy({ accessTokenHash: hash });
    const user = row
      ? await this.users.findOne({
          where: { id: row.userId },
          select: {
            id: true,
            username: true,
            email: true,
            isAdmin: true,
            status: true,
            type: true,
          },
        })
      : null;
    if (!row || !user) {
      return null;
    }
    return {
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
        type: user.type,
      },
    };
  }
}
