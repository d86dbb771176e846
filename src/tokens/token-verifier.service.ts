import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthCache } from '../cache/auth-cache.service';
import { InvalidatingCache } from '../cache/invalidating-cache';
import { AddressList } from '../auth/address-list';
import { AuthMethod, AuthPrincipal, Scope, TokenRestrictions } from '../auth/auth-types';
import { AuthErrors } from '../auth/auth-errors';
import { ApiError } from '../common/errors/api-error';
import { User, UserStatus, UserType } from '../users/entities/user.entity';
import { rawDate } from '../database/columns';
import { ApiToken, readJsonList } from './entities/api-token.entity';
import { hash } from 'node:crypto';
import { TokenFormat } from './token-format';
import { storedQuota, TokenQuota } from '../rate-limit/quota';

/**
 * What request authentication needs to know about a token and its owner, kept lean: with
 * 100,000 tokens in use the cache holds 100,000 of these (issue 16: peak RSS). Times are epoch
 * milliseconds (a Date object costs six times a number), restrictions are null when the token
 * has none, and the principal's objects are made per request from these fields.
 */
export interface CachedToken {
  id: string;
  workspaceId: string | null;
  scopes: Scope[];
  expiresAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
  createdAt: number;
  rateLimit: number | null;
  restrictions: Omit<TokenRestrictions, 'createdAt'> | null;
  user: {
    id: string;
    username: string;
    email: string;
    isAdmin: boolean;
    status: UserStatus;
    type: UserType;
  };
}

/** The restrictions of a token that has none: no allow-list, every project, no quota. */
const UNRESTRICTED: Omit<TokenRestrictions, 'createdAt'> = Object.freeze({
  allowedCidrs: null,
  addresses: null,
  projectIds: null,
  quota: null,
});

/** Turns an API token string into a principal, or refuses it with the SPEC's code. */
@Injectable()
export class TokenVerifier {
  // By token hash (hashKey); null remembers a well-formed hash nobody issued (guessing, stale
  // scripts).
  private readonly cache: InvalidatingCache<string, CachedToken>;
  private readonly shared = new SharedValues();

  constructor(
    private readonly format: TokenFormat,
    @InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>,
    authCache: AuthCache,
  ) {
    this.cache = authCache.create<CachedToken>({
      name: 'api-tokens',
      rememberMisses: true,
      dropOn: {
        token: (event) => (token) => token.id === event.tokenId,
        token_issued: (event) => ({ key: Buffer.from(event.tokenHash, 'hex').toString('latin1') }),
        user: (event) => (token) => token.user.id === event.userId,
      },
    });
  }

  isToken(value: string): boolean {
    return this.format.looksLikeToken(value);
  }

  /** Shaped like one of our API tokens, with a matching checksum (what verify checks first). */
  isWellFormed(value: string): boolean {
    return this.format.isWellFormed(value);
  }

  /** Checks a token; usage (last_used_*) is recorded by the caller once the request is let in. */
  async verify(raw: string, method: AuthMethod): Promise<AuthPrincipal> {
    // Shape and checksum first: a typo or a guess never reaches the database.
    if (!this.isWellFormed(raw)) {
      throw AuthErrors.malformedToken();
    }
    const key = hashKey(raw);
    const cached = this.cache.get(key);
    const token =
      cached === undefined ? await this.cache.getOrLoad(key, () => this.load(key)) : cached;
    if (!token) {
      throw AuthErrors.unknownToken();
    }
    // Expiry and revocation are checked against the clock on every request, cached or not.
    const now = Date.now();
    if (token.revokedAt !== null && token.revokedAt <= now) {
      throw refusalOf(token, AuthErrors.revoked(token.revokedReason));
    }
    if (token.expiresAt <= now) {
      throw refusalOf(token, AuthErrors.expired());
    }
    const { user } = token;
    if (user.status !== 'active') {
      throw refusalOf(token, AuthErrors.lockedTokenOwner());
    }
    return {
      user: {
        id: user.id,
        username: user.username,
        email: user.email,
        isAdmin: user.isAdmin,
        type: user.type,
      },
      method,
      tokenId: token.id,
      scopes: token.scopes,
      tokenWorkspaceId: token.workspaceId,
      expiresAt: new Date(token.expiresAt),
      rateLimit: token.rateLimit,
      restrictions: {
        ...(token.restrictions ?? UNRESTRICTED),
        createdAt: new Date(token.createdAt),
      },
      impersonatedBy: null,
      twoFactorEnabled: false,
    };
  }

  private async load(key: string): Promise<CachedToken | null> {
    const hash = Buffer.from(key, 'latin1').toString('hex'); // token_hash, as stored
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
        't.revoked_reason AS revoked_reason',
        't.rate_limit AS rate_limit',
        't.allowed_cidrs AS allowed_cidrs',
        't.project_ids AS project_ids',
        't.created_at AS created_at',
        't.quota_limit AS quota_limit',
        't.quota_period AS quota_period',
        'u.username AS username',
        'u.email AS email',
        'u.is_admin AS is_admin',
        'u.status AS status',
        'u.type AS user_type',
      ])
      .where('t.token_hash = :hash', { hash })
      .getRawOne<RawTokenRow>();
    if (!row) {
      return null;
    }
    return {
      id: row.id,
      workspaceId: row.workspace_id === null ? null : this.shared.string(row.workspace_id),
      scopes: this.shared.scopes(String(row.scopes)),
      expiresAt: rawDate(row.expires_at).getTime(),
      revokedAt: row.revoked_at === null ? null : rawDate(row.revoked_at).getTime(),
      revokedReason: row.revoked_reason,
      createdAt: rawDate(row.created_at).getTime(),
      rateLimit: row.rate_limit === null ? null : Number(row.rate_limit),
      restrictions: leanRestrictions(
        readJsonList(row.allowed_cidrs),
        readJsonList(row.project_ids),
        storedQuota(row.quota_limit, row.quota_period),
      ),
      user: this.shared.user({
        id: row.user_id,
        username: row.username,
        email: row.email,
        isAdmin: row.is_admin === true || Number(row.is_admin) === 1,
        status: row.status,
        type: row.user_type,
      }),
    };
  }
}

/**
 * The cache key of a token: its SHA-256 as 32 one-byte characters, 48 bytes of heap where the
 * 64 hex digits stored in `token_hash` take 80 (100,000 cached tokens: 3 MB less).
 */
function hashKey(raw: string): string {
  return hash('sha256', raw, 'binary'); // 'binary' is Node's name for latin1; one-shot, no Hash object
}

/** The token each refusal of a recognised token (revoked, expired, locked owner) was for. */
const refusedTokens = new WeakMap<object, string>();

function refusalOf(token: CachedToken, error: ApiError): ApiError {
  refusedTokens.set(error, token.id);
  return error;
}

/**
 * The id of the token `error` refused, when verify recognised the token and refused it (revoked,
 * expired, owner locked): such requests go into the token's request log too (SPEC §11.2).
 * undefined for every other error, unknown and malformed tokens included.
 */
export function refusedTokenId(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? refusedTokens.get(error) : undefined;
}

type CachedUser = CachedToken['user'];

/** At most this many values are kept per kind; past it, the table starts over. */
const MAX_SHARED = 100_000;

/**
 * One copy of what many cached tokens hold alike: the owner (a user with many tokens: a CI
 * account, a service account), workspace and user ids, scope sets. Each load would otherwise
 * keep its own strings and objects, read afresh from the database row: with 100,000 tokens in
 * the cache, that was a third of its memory. A user whose details changed replaces the old copy
 * (tokens loaded before keep theirs until the user event drops them).
 */
class SharedValues {
  private readonly users = new Map<string, CachedUser>();
  private readonly strings = new Map<string, string>();
  private readonly scopeSets = new Map<string, Scope[]>();

  user(user: CachedUser): CachedUser {
    const known = this.users.get(user.id);
    if (
      known &&
      known.username === user.username &&
      known.email === user.email &&
      known.isAdmin === user.isAdmin &&
      known.status === user.status &&
      known.type === user.type
    ) {
      return known;
    }
    const kept = Object.freeze({ ...user, id: this.string(user.id) });
    bounded(this.users).set(kept.id, kept);
    return kept;
  }

  string(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) {
      return known;
    }
    bounded(this.strings).set(value, value);
    return value;
  }

  scopes(raw: string): Scope[] {
    let scopes = this.scopeSets.get(raw);
    if (!scopes) {
      scopes = Object.freeze(raw.split(',').filter(Boolean)) as Scope[];
      bounded(this.scopeSets).set(raw, scopes);
    }
    return scopes;
  }
}

function bounded<K, V>(map: Map<K, V>): Map<K, V> {
  if (map.size >= MAX_SHARED) {
    map.clear();
  }
  return map;
}

interface RawTokenRow {
  id: string;
  user_id: string;
  workspace_id: string | null;
  scopes: string;
  expires_at: Date | string;
  revoked_at: Date | string | null;
  revoked_reason: string | null;
  rate_limit: number | string | null;
  allowed_cidrs: string | null;
  project_ids: string | null;
  created_at: Date | string;
  quota_limit: number | string | null;
  quota_period: string | null;
  username: string;
  email: string;
  is_admin: boolean | number | string;
  status: UserStatus;
  user_type: UserType;
}

/** A token's restrictions, with the allow-list parsed once here rather than on every request. */
export function restrictionsOf(
  allowedCidrs: readonly string[] | null,
  projectIds: readonly string[] | null,
  createdAt: Date,
  quota: TokenQuota | null = null,
): TokenRestrictions {
  return { ...(leanRestrictions(allowedCidrs, projectIds, quota) ?? UNRESTRICTED), createdAt };
}

/** The same without the creation time; null when the token has no restriction at all. */
function leanRestrictions(
  allowedCidrs: readonly string[] | null,
  projectIds: readonly string[] | null,
  quota: TokenQuota | null,
): Omit<TokenRestrictions, 'createdAt'> | null {
  if (allowedCidrs === null && projectIds === null && quota === null) {
    return null;
  }
  return {
    allowedCidrs,
    addresses: allowedCidrs === null ? null : AddressList.of(allowedCidrs),
    projectIds,
    quota,
  };
}
