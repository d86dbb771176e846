import type {
  AuthorizationCode,
  AuthorizationCodeModel,
  Client,
  RefreshToken,
  RefreshTokenModel,
  Token,
  User as OAuthUser,
} from '@node-oauth/oauth2-server';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { Scope, SCOPES } from '../auth/auth-types';
import { sha256Hex } from '../tokens/token-format';
import { User } from '../users/entities/user.entity';
import { OAuthApplication } from './entities/oauth-application.entity';
import { OAuthAuthorizationCode } from './entities/oauth-authorization-code.entity';
import { OAuthToken } from './entities/oauth-token.entity';
import {
  ACCESS_TOKEN_LIFETIME_S,
  OAuthSecrets,
  redirectUriMatches,
  REFRESH_TOKEN_LIFETIME_S,
} from './oauth-constants';

export interface OAuthRepositories {
  applications: Repository<OAuthApplication>;
  codes: Repository<OAuthAuthorizationCode>;
  tokens: Repository<OAuthToken>;
  users: Repository<User>;
}

/** The user the library passes around; familyId ties tokens to the code they came from. */
interface FamilyUser extends OAuthUser {
  id: string;
  familyId?: string;
}

function toClient(app: OAuthApplication): Client {
  return {
    id: app.clientId,
    applicationId: app.id,
    redirectUris: app.redirectUris,
    grants: ['authorization_code', 'refresh_token'],
    accessTokenLifetime: ACCESS_TOKEN_LIFETIME_S,
    refreshTokenLifetime: REFRESH_TOKEN_LIFETIME_S,
    scopes: app.scopes,
    confidential: app.confidential,
  };
}

function secretMatches(secret: string, hash: string): boolean {
  const a = Buffer.from(sha256Hex(secret), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/**
 * The storage model @node-oauth/oauth2-server asks for, on TypeORM. Secrets are stored as
 * SHA-256 hashes only. `authenticateClients` decides whether getClient() demands the secret of
 * a confidential client (token, revoke and introspect endpoints) or not (the authorize endpoint,
 * which has no secret).
 */
export class OAuthModel implements AuthorizationCodeModel, RefreshTokenModel {
  constructor(
    private readonly repos: OAuthRepositories,
    private readonly authenticateClients: boolean,
    /** Told of every revoked grant (family), so that caches drop its access tokens. */
    private readonly familyRevoked: (familyId: string) => Promise<void>,
  ) {}

  async getClient(clientId: string, clientSecret: string | null): Promise<Client | false> {
    if (typeof clientId !== 'string' || clientId.length > 64) {
      return false;
    }
    const app = await this.repos.applications.findOne({
      where: { clientId },
      select: {
        id: true,
        clientId: true,
        clientSecretHash: true,
        redirectUris: true,
        scopes: true,
        confidential: true,
        name: true,
      },
    });
    if (!app) {
      return false;
    }
    if (this.authenticateClients) {
      if (app.confidential) {
        if (
          !clientSecret ||
          !app.clientSecretHash ||
          !secretMatches(clientSecret, app.clientSecretHash)
        ) {
          return false;
        }
      } else if (clientSecret) {
        return false; // a public client has no secret to send
      }
    }
    return toClient(app);
  }

  validateScope(_user: OAuthUser, client: Client, scope?: string[]): Promise<string[] | false> {
    const allowed = client.scopes as Scope[];
    const requested = scope && scope.length > 0 ? scope : allowed;
    if (!requested.every((s) => isScope(s) && allowed.includes(s))) {
      return Promise.resolve(false);
    }
    return Promise.resolve(SCOPES.filter((s) => requested.includes(s)));
  }

  validateRedirectUri(redirectUri: string, client: Client): Promise<boolean> {
    return Promise.resolve(redirectUriMatches(client.redirectUris as string[], redirectUri));
  }

  generateAccessToken(): Promise<string> {
    return Promise.resolve(OAuthSecrets.accessToken());
  }

  generateRefreshToken(): Promise<string> {
    return Promise.resolve(OAuthSecrets.refreshToken());
  }

  generateAuthorizationCode(): Promise<string> {
    return Promise.resolve(OAuthSecrets.authorizationCode());
  }

  async saveAuthorizationCode(
    code: Pick<
      AuthorizationCode,
      | 'authorizationCode'
      | 'expiresAt'
      | 'redirectUri'
      | 'scope'
      | 'codeChallenge'
      | 'codeChallengeMethod'
    >,
    client: Client,
    user: OAuthUser,
  ): Promise<AuthorizationCode> {
    await this.repos.codes.insert({
      id: randomUUID(),
      codeHash: sha256Hex(code.authorizationCode),
      applicationId: client.applicationId as string,
      userId: (user as FamilyUser).id,
      redirectUri: code.redirectUri,
      scopes: (code.scope ?? []).filter(isScope),
      codeChallenge: code.codeChallenge ?? null,
      codeChallengeMethod: code.codeChallengeMethod ?? null,
      expiresAt: code.expiresAt,
      consumedAt: null,
      createdAt: new Date(),
    });
    return { ...code, client, user };
  }

  async getAuthorizationCode(authorizationCode: string): Promise<AuthorizationCode | false> {
    const row = await this.repos.codes.findOneBy({
      codeHash: sha256Hex(String(authorizationCode)),
    });
    if (!row) {
      return false;
    }
    if (row.consumedAt) {
      // A code used twice: someone replays it. Revoke what the first use produced (RFC 6749 §4.1.2).
      await this.revokeFamily(row.id);
      return false;
    }
    if (!(await this.isActiveUser(row.userId))) {
      return false; // a locked account gets no new tokens
    }
    const app = await this.repos.applications.findOneBy({ id: row.applicationId });
    if (!app) {
      return false;
    }
    return {
      authorizationCode,
      expiresAt: row.expiresAt,
      redirectUri: row.redirectUri,
      scope: row.scopes,
      client: toClient(app),
      user: { id: row.userId, familyId: row.id } satisfies FamilyUser,
      codeChallenge: row.codeChallenge ?? undefined,
      codeChallengeMethod: row.codeChallengeMethod ?? undefined,
    };
  }

  async revokeAuthorizationCode(code: AuthorizationCode): Promise<boolean> {
    const result = await this.repos.codes.update(
      { codeHash: sha256Hex(code.authorizationCode), consumedAt: IsNull() },
      { consumedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  async saveToken(token: Token, client: Client, user: OAuthUser): Promise<Token> {
    const owner = user as FamilyUser;
    // Both expiries count from the row's creation, so that expires_at − created_at is exactly
    // the lifetime (the library computed its own just before this call).
    const createdAt = new Date();
    const after = (seconds: number): Date => new Date(createdAt.getTime() + seconds * 1000);
    const accessTokenExpiresAt = after(ACCESS_TOKEN_LIFETIME_S);
    const refreshTokenExpiresAt = token.refreshToken ? after(REFRESH_TOKEN_LIFETIME_S) : undefined;
    await this.repos.tokens.insert({
      id: randomUUID(),
      accessTokenHash: sha256Hex(token.accessToken),
      refreshTokenHash: token.refreshToken ? sha256Hex(token.refreshToken) : null,
      applicationId: client.applicationId as string,
      userId: owner.id,
      scopes: (token.scope ?? []).filter(isScope),
      familyId: owner.familyId ?? randomUUID(),
      accessExpiresAt: accessTokenExpiresAt,
      refreshExpiresAt: refreshTokenExpiresAt ?? null,
      refreshUsedAt: null,
      revokedAt: null,
      createdAt,
    });
    return {
      ...token,
      accessTokenExpiresAt,
      refreshTokenExpiresAt,
      client,
      user: { id: owner.id },
    };
  }

  async getAccessToken(accessToken: string): Promise<Token | false> {
    const row = await this.repos.tokens.findOneBy({ accessTokenHash: sha256Hex(accessToken) });
    if (!row || row.revokedAt) {
      return false;
    }
    const app = await this.repos.applications.findOneBy({ id: row.applicationId });
    if (!app) {
      return false;
    }
    return {
      accessToken,
      accessTokenExpiresAt: row.accessExpiresAt,
      scope: row.scopes,
      client: toClient(app),
      user: { id: row.userId },
    };
  }

  async getRefreshToken(refreshToken: string): Promise<RefreshToken | false> {
    const row = await this.repos.tokens.findOneBy({
      refreshTokenHash: sha256Hex(String(refreshToken)),
    });
    if (!row || row.revokedAt) {
      return false;
    }
    if (row.refreshUsedAt) {
      // Reuse of a rotated refresh token: it leaked. Revoke the whole family (RFC 9700 §4.14.2).
      await this.revokeFamily(row.familyId);
      return false;
    }
    if (!(await this.isActiveUser(row.userId))) {
      return false; // a locked account gets no new tokens (its grant is kept for an unlock)
    }
    const app = await this.repos.applications.findOneBy({ id: row.applicationId });
    if (!app) {
      return false;
    }
    return {
      refreshToken,
      refreshTokenExpiresAt: row.refreshExpiresAt ?? undefined,
      scope: row.scopes,
      client: toClient(app),
      user: { id: row.userId, familyId: row.familyId } satisfies FamilyUser,
    };
  }

  /** Called by the refresh grant before it issues the next pair: marks this refresh token used. */
  async revokeToken(token: RefreshToken): Promise<boolean> {
    const result = await this.repos.tokens.update(
      {
        refreshTokenHash: sha256Hex(token.refreshToken),
        refreshUsedAt: IsNull(),
        revokedAt: IsNull(),
      },
      { refreshUsedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  private isActiveUser(id: string): Promise<boolean> {
    return this.repos.users.existsBy({ id, status: 'active' });
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.repos.tokens.update({ familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
    await this.familyRevoked(familyId);
  }
}
