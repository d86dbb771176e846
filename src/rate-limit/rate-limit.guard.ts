import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
} from '@nestjs/throttler';
import { AuthPrincipal } from '../auth/auth-types';
import { contextOf, TesseraRequest } from '../auth/request-context';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { RateLimitStore } from './rate-limit-store';
import { rateLimited } from './rate-limit.errors';

/** The bucket a principal's requests count against: its token, else its user. */
function rateLimitKey(principal: AuthPrincipal): string {
  if (principal.tokenId) {
    return `token:${principal.tokenId}`;
  }
  if (principal.oauthTokenId) {
    return `oauth:${principal.oauthTokenId}`;
  }
  return `user:${principal.user.id}`;
}

/**
 * Third global guard (after authentication, before access): counts each authenticated request
 * against its token's limit — the token's own `rate_limit` or the instance default — and sends
 * the IETF `RateLimit-*` headers; past the limit, 429 `rate_limited` with `Retry-After`.
 * Public routes and limits of 0 are not counted.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    store: RateLimitStore,
    reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(options, store, reflector);
    this.headerPrefix = 'RateLimit';
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const principal = principalOf(context);
    return Promise.resolve(!principal || requestLimitFor(principal, this.config) === 0);
  }

  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const principal = contextOf(req as unknown as TesseraRequest).principal;
    return Promise.resolve(principal ? rateLimitKey(principal) : 'anonymous');
  }

  /** One bucket per token across all routes (the library's default is one per route). */
  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return `req:${tracker}`;
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw rateLimited(
      detail.limit,
      detail.ttl,
      detail.timeToBlockExpire,
      'Too many requests with this credential',
    );
  }
}

export function principalOf(context: ExecutionContext): AuthPrincipal | undefined {
  return contextOf(context.switchToHttp().getRequest<TesseraRequest>()).principal;
}

/** A token's own limit, else the instance default (0 = not limited). */
export function requestLimitFor(principal: AuthPrincipal | undefined, config: AppConfig): number {
  return principal?.rateLimit ?? config.rateLimit.requests;
}
