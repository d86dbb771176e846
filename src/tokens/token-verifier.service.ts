import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthCache, CachedToken } from '../cache/auth-cache.service';
import { AuthMethod, AuthPrincipal, Scope } from '../auth/auth-types';
import { AuthErrors } from '../auth/auth-errors';
import { User, UserStatus } from '../users/entities/user.entity';
import { rawDate } from '../database/columns';
import { ApiToken } from './entities/api-token.entity';
import { TokenFormat, sha256Hex } from './token-format';

/** Turns an API token string into a principal, or refuses it with the SPEC's code. */
@Injectable()
export class TokenVerifier {
  constructor(
    private readonly format: TokenFormat,
    @InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>,
    private readonly cache: AuthCache,
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
    const hash = sha256Hex(raw);
    const token = this.cache.tokens.get(hash) ?? (await this.load(hash));
    // Expiry and revocation are checked against the clock on every request, cached or not.
    const now = Date.now();
    if (token.revokedAt && token.revokedAt.getTime() <= now) {
      throw AuthErrors.revoked();
    }
    if (token.expiresAt.getTime() <= now) {
      throw AuthErrors.expired();
    }
    const { user } = token;
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
      rateLimit: token.rateLimit,
      impersonatedBy: null,
      twoFactorEnabled: false,
    };
  }

  private async load(hash: string): Promise<CachedToken> {
    if (this.cache.unknownTokens.get(hash)) {
      throw AuthErrors.unknownToken();
    }
    const generation = this.cache.currentGeneration;
    const row = await this.tokens
      .createQueryBuilder('t')
      .innerJoin(User, 'u', 'u.id = t.user_id')
      .select([
        't.id AS id',
        't.user_id AS user_id',
        't.workspace_id AS workspace_id',
        't.scopes AS scopes',
        't.expires_at AS expires_at',
        't.revoked_at AS revoked_at',
        't.rate_limit AS rate_limit',
        'u.username AS username',
        'u.email AS email',
        'u.is_admin AS is_admin',
        'u.status AS status',
      ])
      .where('t.token_hash = :hash', { hash })
      .getRawOne<RawTokenRow>();
    if (!row) {
      this.cache.store(this.cache.unknownTokens, hash, true, generation);
      throw AuthErrors.unknownToken();
    }
    const token: CachedToken = {
      id: row.id,
      userId: row.user_id,
      workspaceId: row.workspace_id,
      scopes: String(row.scopes).split(',').filter(Boolean) as Scope[],
      expiresAt: rawDate(row.expires_at),
      revokedAt: row.revoked_at === null ? null : rawDate(row.revoked_at),
      rateLimit: row.rate_limit === null ? null : Number(row.rate_limit),
      user: {
        id: row.user_id,
        username: row.username,
        email: row.email,
        isAdmin: row.is_admin === true || Number(row.is_admin) === 1,
        status: row.status,
      },
    };
    this.cache.store(this.cache.tokens, hash, token, generation);
    return token;
  }
}

interface RawTokenRow {
  id: string;
  user_id: string;
  workspace_id: string | null;
  scopes: string;
  expires_at: Date | string;
  revoked_at: Date | string | null;
  rate_limit: number | string | null;
  username: string;
  email: string;
  is_admin: boolean | number | string;
  status: UserStatus;
}
