import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { FastifyRequest } from 'fastify';
import passport from 'passport';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/errors/api-error';
import { AuthPrincipal, scopesAllow } from './auth-types';
import { AuthErrors, insufficientScope, RequestErrors } from './auth-errors';
import { contextOf, headerValue } from './request-context';
import { SettingsService } from '../settings/settings.service';
import { AddressDenials } from '../tokens/address-denials';
import { addressRefusal } from './token-restriction-policy';
import { TokenUsageRecorder } from '../tokens/token-usage.recorder';
import { User } from '../users/entities/user.entity';
import { loginKey } from '../users/login-key';
import {
  BasicPasswordPolicy,
  CredentialRequest,
  PresentedCredential,
  presentedCredentials,
} from './credentials';
import { LegacyUsageRecorder } from './legacy-usage.recorder';
import { refusedTokenId, TokenVerifier } from '../tokens/token-verifier.service';
import { isOAuthAccessToken } from '../oauth/oauth-constants';

export interface AuthenticateOptions {
  /** 2FA management routes accept a 2FA user's password (they check a TOTP code themselves). */
  allowTwoFactorPassword?: boolean;
  /**
   * The admin settings route: an instance admin's password works there even with
   * allow_basic_password off, so the API can never be locked for good.
   */
  adminRescue?: boolean;
}

/** A presented credential with the request's context (address, password policy) added. */
type ContextCredential = PresentedCredential & { request: CredentialRequest };

/**
 * Resolves the credentials of a request (SPEC §4) to one principal through the Passport
 * strategies, then applies X-Switch-User. Usage bookkeeping is in memory (batched writes).
 */
@Injectable()
export class Authenticator {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly tokenUsage: TokenUsageRecorder,
    private readonly addressDenials: AddressDenials,
    private readonly legacyUsage: LegacyUsageRecorder,
    private readonly audit: AuditService,
    private readonly settings: SettingsService,
    private readonly tokens: TokenVerifier,
  ) {}

  async authenticate(
    request: FastifyRequest,
    options: AuthenticateOptions = {},
  ): Promise<AuthPrincipal> {
    const credentials = presentedCredentials(request);
    if (credentials.length === 0) {
      throw AuthErrors.missing();
    }
    if (this.isLoneMalformedToken(credentials)) {
      throw AuthErrors.malformedToken();
    }
    if (credentials.some((c) => c.kind === 'query_key')) {
      // ?key= is a credential, not a route parameter: consume it, so that query DTOs (which
      // refuse unknown parameters) never see it and no handler can echo it.
      delete (request.query as Record<string, unknown>).key;
    }
    const context = {
      ip: request.ip,
      userAgent: headerValue(request, 'user-agent'),
      basicPassword: credentials.some((c) => c.kind === 'basic')
        ? await this.basicPasswordPolicy(options)
        : ('off' as const),
    };
    const principal = await this.resolve(
      credentials.map((c) => ({ ...c, request: { ...c.request, ...context } })),
    ).catch((error: unknown) => {
      // A recognised token refused as revoked, expired or of a locked owner: logged as its own.
      const tokenId = refusedTokenId(error);
      if (tokenId !== undefined) {
        contextOf(request).tokenId = tokenId;
      }
      throw error;
    });
    if (principal.tokenId) {
      // From here on, whatever the answer (refusals included), it goes into the token's log.
      contextOf(request).tokenId = principal.tokenId;
    }
    if ((principal.tokenId || principal.oauthTokenId) && principal.expiresAt) {
      contextOf(request).tokenExpiresAt = principal.expiresAt;
    }
    if (
      principal.method === 'basic_password' &&
      principal.twoFactorEnabled &&
      !options.allowTwoFactorPassword
    ) {
      throw AuthErrors.twoFactorRequired();
    }

    // The token's address allow-list, before anything else reads the database for it.
    const refusal = addressRefusal(principal, request.ip);
    if (refusal) {
      this.addressDenials.record(principal, request.ip, context.userAgent);
      contextOf(request).addressRefused = true;
      throw refusal;
    }
    if (principal.tokenId) {
      this.tokenUsage.record(principal.tokenId, request.ip);
    }
    if (principal.method === 'legacy_api_password') {
      this.legacyUsage.record(principal.user.id, request.ip, headerValue(request, 'user-agent'));
    }
    return this.switchUser(request, principal);
  }

  /**
   * A lone bearer or X-API-Key credential that is neither an OAuth access token nor shaped like
   * an API token with a matching checksum (a typo, a truncated paste, a guess) gets its
   * strategy's answer before Passport runs: the token verifier's first check, without the
   * strategy machinery around it (issue 16: a refusal should cost no more than a trivial route).
   * Several credentials still all go through their strategies (ambiguity, audits). The early
   * refusal (`early-refusal.ts`) asks the same question before Nest's pipeline.
   */
  isLoneMalformedToken(credentials: readonly PresentedCredential[]): boolean {
    return credentials.length === 1 && this.isMalformedToken(credentials[0]);
  }

  private isMalformedToken(credential: PresentedCredential): boolean {
    let secret: string;
    if (credential.kind === 'bearer') {
      const authorization = credential.request.headers.authorization;
      secret = authorization.slice(authorization.indexOf(' ') + 1);
    } else if (credential.kind === 'api_key') {
      secret = credential.request.headers['x-api-key'];
    } else {
      return false;
    }
    return !isOAuthAccessToken(secret) && !this.tokens.isWellFormed(secret);
  }

  /** Basic passwords on this route: the admin setting, and the settings route's rescue. */
  private async basicPasswordPolicy(options: AuthenticateOptions): Promise<BasicPasswordPolicy> {
    if ((await this.settings.get()).allowBasicPassword) {
      return 'allowed';
    }
    return options.adminRescue ? 'admins' : 'off';
  }

  private async resolve(credentials: ContextCredential[]): Promise<AuthPrincipal> {
    if (credentials.length === 1) {
      return this.runStrategy(credentials[0]); // the usual request: nothing to compare
    }
    // A failed password is audited where it is verified (PasswordAuthenticator). Every check
    // runs to its end before the request is answered: a quick refusal of one credential must
    // not leave another's verification (and its audit event) running on after the response.
    const outcomes = await Promise.allSettled(credentials.map((c) => this.runStrategy(c)));
    const refusals = outcomes
      .filter((o): o is PromiseRejectedResult => o.status === 'rejected')
      .map((o) => o.reason as unknown);
    if (refusals.length > 0) {
      // A wrong password was verified and audited: say so, whatever else was wrong too.
      throw (
        refusals.find((e) => e instanceof ApiError && e.code === 'invalid_credentials') ??
        refusals[0]
      );
    }
    const principals = outcomes.map((o) => (o as PromiseFulfilledResult<AuthPrincipal>).value);
    const [first, ...others] = principals;
    // Two credentials are fine only when they name the same principal: the same user through
    // the same token (e.g. one token sent twice), or the same user's password twice.
    if (
      others.some(
        (p) =>
          p.user.id !== first.user.id ||
          p.tokenId !== first.tokenId ||
          p.oauthTokenId !== first.oauthTokenId,
      )
    ) {
      throw RequestErrors.ambiguous();
    }
    return first;
  }

  /** X-Switch-User / X-Redmine-Switch-User: instance admins act as another user (SPEC §4). */
  private async switchUser(
    request: FastifyRequest,
    principal: AuthPrincipal,
  ): Promise<AuthPrincipal> {
    const login =
      headerValue(request, 'x-switch-user') ?? headerValue(request, 'x-redmine-switch-user');
    if (login === undefined || !principal.user.isAdmin) {
      return principal; // means nothing for anyone but instance admins
    }
    if (!scopesAllow(principal.scopes, 'admin')) {
      // An admin's token without the admin scope may not switch: refused, not ignored, so that
      // the request never runs as the admin in place of the user it named.
      throw insufficientScope('admin');
    }
    const target =
      login.length > 0 && login.length <= 64
        ? await this.users.findOne({
            where: { loginKey: loginKey(login) },
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
    // A service account acts only through its own tokens (SPEC §11.5): nobody switches to one.
    if (!target || target.status !== 'active' || target.type !== 'human') {
      throw RequestErrors.switchUserInvalid(login);
    }
    const switched: AuthPrincipal = {
      ...principal,
      user: {
        id: target.id,
        username: target.username,
        email: target.email,
        isAdmin: target.isAdmin,
        type: target.type,
      },
      impersonatedBy: principal.user,
      twoFactorEnabled: false,
    };
    await this.audit.record({
      action: 'auth.switch_user',
      actor: switched,
      targetType: 'user',
      targetId: target.id,
      ip: request.ip,
      userAgent: headerValue(request, 'user-agent'),
      metadata: { method: request.method, path: request.url.split('?')[0].slice(0, 200) },
    });
    return switched;
  }

  private runStrategy(credential: ContextCredential): Promise<AuthPrincipal> {
    return new Promise<AuthPrincipal>((resolve, reject) => {
      const handle = (error: unknown, user: AuthPrincipal | false | undefined): void => {
        if (error) {
          reject(error instanceof Error ? error : new Error('Authentication failed'));
        } else if (!user) {
          // The strategy found the credential unreadable (bad base64, no colon, empty key, ...).
          reject(
            credential.kind === 'basic' || credential.kind === 'legacy'
              ? AuthErrors.invalidCredentials()
              : credential.kind === 'bearer'
                ? AuthErrors.malformedAuthorization()
                : AuthErrors.malformedToken(),
          );
        } else {
          resolve(user);
        }
      };
      const middleware = passport.authenticate(credential.strategy, { session: false }, handle) as (
        req: unknown,
        res: unknown,
        next: (err?: unknown) => void,
      ) => void;
      middleware(credential.request, {}, (err?: unknown) => handle(err, false));
    });
  }
}
