import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { RateLimitStore } from './rate-limit-store';
import { rateLimited } from './rate-limit.errors';

// Refusals that mean "wrong secret": what credential stuffing and token guessing produce.
const GUESS_CODES = new Set(['invalid_token', 'invalid_credentials']);

/**
 * Counts failed authentications per client address — and, for second factors, per account too,
 * so that guesses spread over many addresses are slowed as well. Past FAILED_AUTH_LIMIT in a
 * window, the subject is refused with 429 for a window, before any credential it sends is
 * looked at.
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

  /** The subject for a client address. */
  static address(ip: string): string {
    return `ip:${ip}`;
  }

  /** The subject for an account (second-factor guesses). */
  static account(userId: string): string {
    return `user:${userId}`;
  }

  /** Throws 429 while any of `subjects` is blocked. */
  async assertAllowed(...subjects: string[]): Promise<void> {
    if (this.limit === 0) {
      return;
    }
    for (const subject of subjects) {
      const blockedMs = await this.store.blockedFor(keyOf(subject));
      if (blockedMs > 0) {
        throw this.refusal(blockedMs / 1000);
      }
    }
  }

  /**
   * Counts `error` against every subject if it is a failed guess; returns the error to throw —
   * the same one, or a 429 once this failure passes the limit for any subject.
   */
  async countFailure(error: unknown, ...subjects: string[]): Promise<unknown> {
    if (this.limit === 0 || !(error instanceof ApiError) || !GUESS_CODES.has(error.code)) {
      return error;
    }
    let refusal: unknown = error;
    for (const subject of subjects) {
      const record = await this.store.increment(
        keyOf(subject),
        this.windowMs,
        this.limit,
        this.windowMs,
        'failed_auth',
      );
      if (record.isBlocked) {
        refusal = this.refusal(record.timeToBlockExpire);
      }
    }
    return refusal;
  }

  private refusal(retryAfterSeconds: number): ApiError {
    return rateLimited(
      this.limit,
      this.windowMs,
      retryAfterSeconds,
      'Too many failed sign-in attempts',
    );
  }
}

function keyOf(subject: string): string {
  return `failed-auth:${subject}`;
}
