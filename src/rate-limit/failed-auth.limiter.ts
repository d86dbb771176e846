import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { RateLimitStore } from './rate-limit-store';
import { rateLimited } from './rate-limit.errors';

// Refusals that mean "wrong secret": what credential stuffing and token guessing produce.
const GUESS_CODES = new Set(['invalid_token', 'invalid_credentials']);

/**
 * Counts failed authentications per client address. Past FAILED_AUTH_LIMIT in a window, the
 * address is refused with 429 for a window, before any credential it sends is looked at.
 */
@Injectable()
export class FailedAuthLimiter {
  constructor(
    private readonly store: RateLimitStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get limit(): number {
    return this.config.rateLimit.failedAuth;
  }

  private get windowMs(): number {
    return this.config.rateLimit.failedAuthWindowMs;
  }

  /** Throws 429 while `ip` is blocked. */
  async assertAllowed(ip: string): Promise<void> {
    if (this.limit === 0) {
      return;
    }
    const blockedMs = await this.store.blockedFor(keyOf(ip));
    if (blockedMs > 0) {
      throw this.refusal(blockedMs / 1000);
    }
  }

  /**
   * Counts `error` if it is a failed guess; returns the error to throw — the same one, or a 429
   * once this failure passes the limit.
   */
  async countFailure(ip: string, error: unknown): Promise<unknown> {
    if (this.limit === 0 || !(error instanceof ApiError) || !GUESS_CODES.has(error.code)) {
      return error;
    }
    const record = await this.store.increment(
      keyOf(ip),
      this.windowMs,
      this.limit,
      this.windowMs,
      'failed_auth',
    );
    return record.isBlocked ? this.refusal(record.timeToBlockExpire) : error;
  }

  private refusal(retryAfterSeconds: number): ApiError {
    return rateLimited(
      this.limit,
      this.windowMs,
      retryAfterSeconds,
      'Too many failed sign-in attempts from your address',
    );
  }
}

function keyOf(ip: string): string {
  return `failed-auth:${ip}`;
}
