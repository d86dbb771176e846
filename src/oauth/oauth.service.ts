import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import OAuth2Server, {
  InvalidRequestError,
  OAuthError,
  Request as OAuthRequest,
  Response as OAuthResponse,
} from '@node-oauth/oauth2-server';
import { FastifyRequest } from 'fastify';
import { EntityManager, In, IsNull, Repository } from 'typeorm';
import { AuthCache } from '../cache/auth-cache.service';
import { SCOPES } from '../auth/auth-types';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { sha256Hex } from '../tokens/token-format';
import { User } from '../users/entities/user.entity';
import { OAuthApplication } from './entities/oauth-application.entity';
import { OAuthAuthorizationCode } from './entities/oauth-authorization-code.entity';
import { OAuthToken } from './entities/oauth-token.entity';
import {
  ACCESS_TOKEN_LIFETIME_S,
  AUTHORIZATION_CODE_LIFETIME_S,
  parseScopes,
  redirectUriMatches,
  REFRESH_TOKEN_LIFETIME_S,
} from './oauth-constants';
import { OAuthModel } from './oauth-model';
import { OAuthAccessTokenVerifier } from './oauth-access-token.verifier';

export interface OAuthReply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The parameters of an authorization request, as carried from the consent page to approval. */
export interface AuthorizationParams {
  client_id: string;
  redirect_uri: string;
  response_type: string;
  scope: string;
  state: string;
  code_challenge: string;
  code_challenge_method: string;
}

export type AuthorizationCheck =
  | { kind: 'invalid'; message: string } // shown as a page: never redirect to an unverified URI
  | { kind: 'redirect'; location: string } // an error the client should hear about
  | { kind: 'consent'; app: OAuthApplication; scopes: string[]; params: AuthorizationParams };

const AUTHORIZATION_PARAMS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
] as const satisfies ReadonlyArray<keyof AuthorizationParams>;

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const GRANT_TYPES = ['authorization_code', 'refresh_token'];

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * Client credentials from `Authorization: Basic`. RFC 6749 §2.3.1: client_id and secret are each
 * form-urlencoded before base64 (oauth4webapi sends `tsc%5F…`), so decode them here. Null when
 * there is no Basic header or it cannot be decoded.
 */
function basicClientCredentials(
  authorization: string | undefined,
): { clientId: string; secret: string } | null {
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!basic) {
    return null;
  }
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return null;
  }
  const formDecode = (value: string): string => decodeURIComponent(value.replace(/\+/g, ' '));
  try {
    return {
      clientId: formDecode(decoded.slice(0, colon)),
      secret: formDecode(decoded.slice(colon + 1)),
    };
  } catch {
    return null; // malformed percent-encoding
  }
}

function redirectWith(uri: string, params: Record<string, string>): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) {
    if (value) {
      url.searchParams.set(key, value);
    }
  }
  return url.toString();
}

/**
 * Tessera's OAuth2 authorization server (SPEC §9, RFC 6749 / 7009 / 7662 / 8414 / 9700) on
 * @node-oauth/oauth2-server: authorization code with PKCE, refresh tokens with rotation and
 * reuse detection.
 */
@Injectable()
export class OAuthService {
  private readonly authorizeServer: OAuth2Server;
  private readonly tokenServer: OAuth2Server;
  private readonly clientAuth: OAuthModel;

  constructor(
    @InjectRepository(OAuthApplication) private readonly applications: Repository<OAuthApplication>,
    @InjectRepository(OAuthAuthorizationCode) codes: Repository<OAuthAuthorizationCode>,
    @InjectRepository(OAuthToken) private readonly tokens: Repository<OAuthToken>,
    @InjectRepository(User) private readonly users: Repository<User>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accessTokens: OAuthAccessTokenVerifier,
    private readonly cache: AuthCache,
    private readonly failedAuth: FailedAuthLimiter,
  ) {
    const repos = { applications, codes, tokens, users };
    // A revoked grant is refused on the very next request, whatever the cache held.
    const revoked = (familyId: string): Promise<void> =>
      cache.invalidate({ kind: 'oauth_family', familyId });
    const options = {
      accessTokenLifetime: ACCESS_TOKEN_LIFETIME_S,
      refreshTokenLifetime: REFRESH_TOKEN_LIFETIME_S,
      authorizationCodeLifetime: AUTHORIZATION_CODE_LIFETIME_S,
      allowEmptyState: true,
      allowBearerTokensInQueryString: false,
      alwaysIssueNewRefreshToken: true,
      // Our model checks the secret of confidential clients itself; public clients send none.
      requireClientAuthentication: { authorization_code: false, refresh_token: false },
    };
    this.authorizeServer = new OAuth2Server({
      ...options,
      model: new OAuthModel(repos, false, revoked),
    });
    this.clientAuth = new OAuthModel(repos, true, revoked);
    this.tokenServer = new OAuth2Server({ ...options, model: this.clientAuth });
  }

  /** Deletes an application; its codes and tokens go with it and stop working at once. */
  async deleteApplication(id: string): Promise<void> {
    await this.applications.delete({ id }); // codes and tokens: ON DELETE CASCADE
    await this.cache.invalidate({ kind: 'oauth_application', applicationId: id });
  }

  get issuer(): string {
    return this.config.publicUrl;
  }

  metadata(): Record<string, unknown> {
    const base = this.issuer;
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/revoke`,
      introspection_endpoint: `${base}/oauth/introspect`,
      scopes_supported: [...SCOPES],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: GRANT_TYPES,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      service_documentation: `${base}/api/docs`,
    };
  }

  /**
   * Checks an authorization request before anyone is asked to consent. A missing, repeated or
   * unknown client_id or redirect_uri gets a page: the client cannot be told safely (RFC 6749
   * §4.1.2.1). Every other refusal goes back to the verified redirect_uri, as invalid_request
   * for a missing, repeated or malformed parameter.
   */
  async checkAuthorization(query: Record<string, unknown>): Promise<AuthorizationCheck> {
    const params: AuthorizationParams = {
      client_id: str(query.client_id),
      redirect_uri: str(query.redirect_uri),
      response_type: str(query.response_type),
      scope: str(query.scope),
      state: str(query.state),
      code_challenge: str(query.code_challenge),
      code_challenge_method: str(query.code_challenge_method),
    };
    // RFC 6749 §3.1: no parameter may be sent twice (the query parser makes an array of them).
    const repeated = AUTHORIZATION_PARAMS.filter((name) => Array.isArray(query[name]));
    const invalid = (message: string): AuthorizationCheck => ({ kind: 'invalid', message });
    if (repeated.includes('client_id')) {
      return invalid('The request names more than one client_id.');
    }
    if (!params.client_id) {
      return invalid('The request names no application (client_id is missing).');
    }
    const app = await this.applications.findOneBy({ clientId: params.client_id.slice(0, 64) });
    if (!app) {
      return invalid('This application is not registered (unknown client_id).');
    }
    if (repeated.includes('redirect_uri')) {
      return invalid('The request has more than one redirect_uri.');
    }
    if (!params.redirect_uri) {
      return invalid('The request has no redirect_uri; it is required.');
    }
    if (!redirectUriMatches(app.redirectUris, params.redirect_uri)) {
      return invalid(
        'The redirect_uri does not match one registered for this application exactly.',
      );
    }
    const fail = (error: string, description: string): AuthorizationCheck => ({
      kind: 'redirect',
      location: this.authorizationResponse(params.redirect_uri, {
        error,
        error_description: description,
        state: params.state,
      }),
    });
    if (repeated.length > 0) {
      return fail('invalid_request', `Each parameter may be sent once: ${repeated.join(', ')}.`);
    }
    // A missing response_type is a missing parameter; only a value we do not offer is
    // unsupported_response_type (RFC 6749 §4.1.2.1).
    if (!params.response_type) {
      return fail('invalid_request', 'response_type is missing; it must be code.');
    }
    if (params.response_type !== 'code') {
      return fail('unsupported_response_type', 'Only response_type=code is supported.');
    }
    if (params.code_challenge || !app.confidential) {
      if (!params.code_challenge) {
        return fail('invalid_request', 'Public clients must use PKCE (code_challenge with S256).');
      }
      // RFC 7636 §4.3: without a method the challenge is plain, which we do not support.
      if (params.code_challenge_method !== 'S256') {
        return fail('invalid_request', 'code_challenge_method must be S256.');
      }
      // BASE64URL(SHA-256(code_verifier)) without padding (RFC 7636 §4.2): 43 characters.
      if (!/^[A-Za-z0-9_-]{43}$/.test(params.code_challenge)) {
        return fail('invalid_request', 'code_challenge is not a base64url S256 challenge.');
      }
    } else if (params.code_challenge_method) {
      // A method without a challenge: the client thinks it uses PKCE and would send a
      // code_verifier that the token endpoint must then refuse.
      return fail('invalid_request', 'code_challenge_method was sent without code_challenge.');
    }
    const requested = parseScopes(params.scope);
    const scopes = requested.length > 0 ? requested : app.scopes;
    if (!scopes.every((s) => (app.scopes as string[]).includes(s))) {
      return fail('invalid_scope', `This application may ask for: ${app.scopes.join(' ')}.`);
    }
    return { kind: 'consent', app, scopes: SCOPES.filter((s) => scopes.includes(s)), params };
  }

  /** The user approved: issue a code and send the browser back to the client. */
  async approve(userId: string, params: AuthorizationParams): Promise<string> {
    const request = new OAuthRequest({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      query: {},
      body: { ...params, scope: params.scope || undefined },
    });
    const response = new OAuthResponse({ headers: {} });
    try {
      await this.authorizeServer.authorize(request, response, {
        authenticateHandler: { handle: () => ({ id: userId }) },
      });
    } catch (error) {
      if (error instanceof OAuthError) {
        return this.authorizationResponse(params.redirect_uri, {
          error: error.name,
          error_description: error.message,
          state: params.state,
        });
      }
      throw error;
    }
    return this.authorizationResponse(String(response.get('location')), {});
  }

  deny(params: AuthorizationParams): string {
    return this.authorizationResponse(params.redirect_uri, {
      error: 'access_denied',
      error_description: 'The user denied the request.',
      state: params.state,
    });
  }

  /**
   * The redirect back to the client with `params` — and always `iss`, so that a client talking
   * to several servers can tell which one answered (RFC 9207, against mix-up attacks).
   */
  private authorizationResponse(uri: string, params: Record<string, string>): string {
    return redirectWith(uri, { ...params, iss: this.issuer });
  }

  /** POST /oauth/token */
  async token(req: FastifyRequest): Promise<OAuthReply> {
    // The library knows more grants (password, client_credentials) and would answer
    // unauthorized_client for them; RFC 6749 §5.2 calls a grant we do not offer unsupported.
    const grantType = str((req.body as Record<string, unknown> | undefined)?.grant_type);
    if (grantType && !GRANT_TYPES.includes(grantType)) {
      return this.oauthError(
        400,
        'unsupported_grant_type',
        `grant_type must be one of: ${GRANT_TYPES.join(', ')}.`,
      );
    }
    if (grantType === 'refresh_token') {
      const refusal = await this.refreshScopeRefusal(req.body as Record<string, unknown>);
      if (refusal) {
        return refusal;
      }
    }
    const headers = { ...req.headers } as Record<string, string>;
    const basic = basicClientCredentials(req.headers.authorization);
    if (basic) {
      // The library reads Basic credentials verbatim; hand it the form-decoded ones.
      headers.authorization = `Basic ${Buffer.from(`${basic.clientId}:${basic.secret}`).toString('base64')}`;
    }
    const request = new OAuthRequest({
      method: req.method,
      headers,
      query: (req.query ?? {}) as Record<string, string>,
      body: req.body ?? {},
    });
    const response = new OAuthResponse({ headers: {} });
    try {
      await this.tokenServer.token(request, response);
      // The library reports floor(expires_at − now), 7199 once a millisecond has passed since
      // saveToken; the token's lifetime from its issuance is what RFC 6749 §5.1 asks for.
      const body = {
        ...(response.body as Record<string, unknown>),
        expires_in: ACCESS_TOKEN_LIFETIME_S,
      };
      return { status: response.status ?? 200, headers: { ...NO_STORE }, body };
    } catch (error) {
      return await this.errorReply(error, req);
    }
  }

  /**
   * A refresh asking for more than its grant holds is refused before the refresh token is
   * touched: the library would mark it used first, and the client's correct retry would then
   * look like reuse and revoke the whole grant (RFC 6749 §6; reuse detection is for real reuse).
   */
  private async refreshScopeRefusal(body: Record<string, unknown>): Promise<OAuthReply | null> {
    const requested = parseScopes(body.scope);
    const refreshToken = str(body.refresh_token);
    if (requested.length === 0 || !refreshToken) {
      return null;
    }
    const row = await this.tokens.findOneBy({ refreshTokenHash: sha256Hex(refreshToken) });
    if (!row || requested.every((s) => (row.scopes as string[]).includes(s))) {
      return null; // unknown tokens are the library's to refuse, with its own error
    }
    return this.oauthError(
      400,
      'invalid_scope',
      `This grant holds only: ${row.scopes.join(' ')}. The refresh token is still valid.`,
    );
  }

  /** GET /oauth/token/info (Doorkeeper's shape). */
  async tokenInfo(authorization: string | undefined): Promise<OAuthReply> {
    const raw = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const row =
      raw && this.accessTokens.isAccessToken(raw) ? await this.accessTokens.find(raw) : null;
    const now = Date.now();
    if (!row || row.revokedAt || row.expiresAt.getTime() <= now || row.user.status !== 'active') {
      return {
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer realm="tessera", error="invalid_token"' },
        body: { error: 'invalid_token', error_description: 'The access token is invalid.' },
      };
    }
    const app = await this.applications.findOneByOrFail({ id: row.applicationId });
    return {
      status: 200,
      headers: { ...NO_STORE },
      body: {
        resource_owner_id: row.user.id,
        scope: row.scopes,
        // The seconds left, rounded up: a fresh token reports its whole lifetime and a live one
        // never 0. Capped at the lifetime in case another instance's clock runs ahead.
        expires_in: Math.min(
          ACCESS_TOKEN_LIFETIME_S,
          Math.ceil((row.expiresAt.getTime() - now) / 1000),
        ),
        application: { uid: app.clientId },
        created_at: Math.floor(row.createdAt.getTime() / 1000),
      },
    };
  }

  /** POST /oauth/revoke (RFC 7009): revokes the token and everything of its grant. */
  async revoke(req: FastifyRequest): Promise<OAuthReply> {
    const client = await this.authenticateClient(req);
    if (!client) {
      return await this.invalidClient(req);
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = str(body.token);
    if (!token) {
      return this.oauthError(400, 'invalid_request', 'The token parameter is required.');
    }
    const row = await this.findByEitherToken(token);
    if (row && row.applicationId !== client.id) {
      // RFC 7009 §2.1: a token issued to another client is refused, not reported revoked.
      return this.oauthError(
        400,
        'unauthorized_client',
        'This token was not issued to this client; it was not revoked.',
      );
    }
    if (row) {
      await this.clientAuth.revokeFamily(row.familyId);
    }
    // RFC 7009 §2.2: an unknown (or already invalid) token gets 200 too.
    return { status: 200, headers: { ...NO_STORE }, body: {} };
  }

  /** POST /oauth/introspect (RFC 7662): a client may introspect its own tokens. */
  async introspect(req: FastifyRequest): Promise<OAuthReply> {
    const client = await this.authenticateClient(req);
    if (!client || !client.confidential) {
      return await this.invalidClient(req);
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = str(body.token);
    if (!token) {
      return this.oauthError(400, 'invalid_request', 'The token parameter is required.');
    }
    const row = await this.findByEitherToken(token);
    const now = Date.now();
    const isRefresh = row?.refreshTokenHash === sha256Hex(token);
    const expiresAt = isRefresh ? row?.refreshExpiresAt : row?.accessExpiresAt;
    const active =
      !!row &&
      row.applicationId === client.id &&
      !row.revokedAt &&
      !(isRefresh && row.refreshUsedAt) &&
      !!expiresAt &&
      expiresAt.getTime() > now;
    if (!row || !active || !expiresAt) {
      return { status: 200, headers: { ...NO_STORE }, body: { active: false } };
    }
    const user = await this.users.findOneBy({ id: row.userId });
    if (!user || user.status !== 'active') {
      return { status: 200, headers: { ...NO_STORE }, body: { active: false } };
    }
    return {
      status: 200,
      headers: { ...NO_STORE },
      body: {
        active: true,
        scope: row.scopes.join(' '),
        client_id: client.clientId,
        username: user.username,
        token_type: isRefresh ? 'refresh_token' : 'Bearer',
        exp: Math.floor(expiresAt.getTime() / 1000),
        iat: Math.floor(row.createdAt.getTime() / 1000),
        sub: row.userId,
        iss: this.issuer,
      },
    };
  }

  /** The OAuth token rows whose access or refresh token has one of these SHA-256 hashes. */
  async findByHashes(hashes: readonly string[]): Promise<OAuthToken[]> {
    if (hashes.length === 0) {
      return [];
    }
    return this.tokens.find({
      where: [{ accessTokenHash: In([...hashes]) }, { refreshTokenHash: In([...hashes]) }],
    });
  }

  /**
   * Revokes a grant (every token of its family) inside the caller's transaction, like
   * POST /oauth/revoke does; false when nothing of it was still unrevoked. Call `forgetGrant`
   * once the transaction has committed.
   */
  async revokeGrantIn(m: EntityManager, familyId: string, now: Date): Promise<boolean> {
    const result = await m.update(
      OAuthToken,
      { familyId, revokedAt: IsNull() },
      { revokedAt: now },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Drops a revoked grant's cached access tokens on every instance. */
  async forgetGrant(familyId: string): Promise<void> {
    await this.cache.invalidate({ kind: 'oauth_family', familyId });
  }

  private async findByEitherToken(token: string): Promise<OAuthToken | null> {
    const hash = sha256Hex(token);
    return (
      (await this.tokens.findOneBy({ accessTokenHash: hash })) ??
      (await this.tokens.findOneBy({ refreshTokenHash: hash }))
    );
  }

  /** client_secret_basic, client_secret_post, or a public client's client_id alone. */
  private async authenticateClient(
    req: FastifyRequest,
  ): Promise<{ id: string; clientId: string; confidential: boolean } | null> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    let clientId = str(body.client_id);
    let secret: string | null = str(body.client_secret) || null;
    if (/^Basic\s/i.test(req.headers.authorization ?? '')) {
      const basic = basicClientCredentials(req.headers.authorization);
      if (!basic) {
        return null;
      }
      clientId = basic.clientId;
      secret = basic.secret;
    }
    if (!clientId) {
      return null;
    }
    const client = await this.clientAuth.getClient(clientId, secret);
    return client
      ? {
          id: client.applicationId as string,
          clientId: client.id,
          confidential: client.confidential as boolean,
        }
      : null;
  }

  /**
   * A failed client authentication counts toward the address's failed-authentication limit like
   * a bad token (SPEC §12): past it, and while the address is blocked, 429 with Retry-After.
   */
  private async invalidClient(req: FastifyRequest): Promise<OAuthReply> {
    const limited = await this.failedAuth.countGuess(FailedAuthLimiter.address(req.ip));
    if (limited) {
      return {
        status: 429,
        headers: { ...NO_STORE, ...limited.headers },
        body: { error: 'rate_limited', error_description: limited.message },
      };
    }
    const reply = this.oauthError(401, 'invalid_client', 'Client authentication failed.');
    if (req.headers.authorization) {
      reply.headers['WWW-Authenticate'] = 'Basic realm="tessera"';
    }
    return reply;
  }

  private oauthError(status: number, error: string, description: string): OAuthReply {
    return { status, headers: { ...NO_STORE }, body: { error, error_description: description } };
  }

  private async errorReply(error: unknown, req: FastifyRequest): Promise<OAuthReply> {
    if (!(error instanceof OAuthError)) {
      throw error;
    }
    if (error.name === 'invalid_client') {
      return this.invalidClient(req);
    }
    const status = error.code >= 500 ? 500 : error.code;
    // RFC 6749 §4.1.3, §5.2: a redirect_uri other than the authorization request's is
    // invalid_grant; the library reports that mismatch as invalid_request.
    if (
      error instanceof InvalidRequestError &&
      error.message === 'Invalid request: `redirect_uri` is invalid'
    ) {
      return this.oauthError(
        400,
        'invalid_grant',
        'redirect_uri does not match the authorization request.',
      );
    }
    return this.oauthError(status, error.name, error.message);
  }
}
