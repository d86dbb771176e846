import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { RateLimitStore } from './rate-limit-store';
import { rateLimited } from './rate-limit.errors';

// Refusals that mean "wrong secret": what credential stuffing and token guessing produce.
const GUESS_CODES = new Set(['invalid_token', 'invalid_credentials']);

/** Who failed: a client address, or an account (the user a login or a second factor names). */
export interface FailedAuthSubject {
  kind: 'address' | 'account';
  id: string;
}

/** An attempt counted before its secret was checked; give it back when the secret was right. */
export interface ReservedAttempt {
  release(): Promise<void>;
}

// Failures already counted when they were reserved, so that the guard does not count them again.
const counted = new WeakSet<object>();

/**
 * Failed authentications per client address (FAILED_AUTH_LIMIT) and per account
 * (FAILED_LOGIN_ACCOUNT_LIMIT), in FAILED_AUTH_WINDOW_SECONDS; past a limit the subject is
 * refused with 429 for a window (SPEC §12).
 *
 * Guessable secrets (passwords, second-factor codes) are counted *before* they are verified
 * (`reserve`), atomically in the store, and given back when they turn out right: however many
 * requests run in parallel, at most the limit of them is ever verified. Tokens cannot be
 * guessed, so a token is looked up first and only a failed lookup is counted (`countFailure`):
 * a valid token is served even from a blocked address, at no extra cost.
 */
@Injectable()
export class FailedAuthLimiter {
  constructor(
    private readonly store: RateLimitStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get windowMs(): number {
    return this.config.rateLimit.failedAuthWindowMs;
  }

  private limitOf(subject: FailedAuthSubject): number {
    return subject.kind === 'address'
      ? this.config.rateLimit.failedAuth
      : this.config.rateLimit.failedLoginPerAccount;
  }

  /** The subject for a client address. */
  static address(ip: string): FailedAuthSubject {
    return { kind: 'address', id: ip };
  }

  /** The subject for an existing account (never for an arbitrary login string). */
  static account(userId: string): FailedAuthSubject {
    return { kind: 'account', id: userId };
  }

  /**
   * Counts one attempt against every subject before the secret is checked. Throws 429 (and
   * counts nothing) while any subject is blocked or when this attempt passes its limit.
   */
  async reserve(...subjects: FailedAuthSubject[]): Promise<ReservedAttempt> {
    const taken: FailedAuthSubject[] = [];
    const release = async (): Promise<void> => {
      for (const subject of taken.splice(0)) {
        await this.store.release(keyOf(subject));
      }
    };
    for (const subject of subjects) {
      const limit = this.limitOf(subject);
      if (limit === 0) {
        continue;
      }
      const record = await this.store.tryIncrement(
        keyOf(subject),
        this.windowMs,
        limit,
        this.windowMs,
      );
      if (!record || record.isBlocked) {
        // Refused before anything was verified: the other subjects get their attempt back.
        await release();
        // A secret that cannot be counted is not verified: otherwise a slow store (or a
        // loaded server) would lift the limit.
        throw record ? this.refusal(limit, record.timeToBlockExpire) : uncounted();
      }
      taken.push(subject);
    }
    return { release };
  }

  /**
   * One guess at a secret of `userId`'s from `ip` (a 2FA code, a password typed again): counted
   * against the address and the account before `check` runs, so that parallel guesses cannot
   * pass the limit, and given back when it was right. Throws like `reserve` while blocked.
   */
  async guess(ip: string, userId: string, check: () => Promise<boolean>): Promise<boolean> {
    const reserved = await this.reserve(
      FailedAuthLimiter.address(ip),
      FailedAuthLimiter.account(userId),
    );
    const right = await check();
    if (right) {
      await reserved.release();
    }
    return right;
  }

  /**
   * Marks a failure that `reserve` counted already, so that `countFailure` lets it through
   * as it is.
   */
  static counted<E extends object>(error: E): E {
    counted.add(error);
    return error;
  }

  /**
   * After the fact, for credentials that cannot be guessed (tokens): counts `error` against
   * every subject if it is a failed guess; returns the error to throw — the same one, or a 429
   * while a subject is blocked or once this failure passes its limit.
   */
  async countFailure(error: unknown, ...subjects: FailedAuthSubject[]): Promise<unknown> {
    if (!(error instanceof ApiError) || !GUESS_CODES.has(error.code) || counted.has(error)) {
      return error;
    }
    return (await this.countGuess(...subjects)) ?? error;
  }

  /**
   * Counts one failed guess of a high-entropy secret (a token, an OAuth client secret) against
   * every subject; the 429 to answer with while a subject is blocked or once this failure passes
   * its limit, else null.
   */
  async countGuess(...subjects: FailedAuthSubject[]): Promise<ApiError | null> {
    let refusal: ApiError | null = null;
    for (const subject of subjects) {
      const limit = this.limitOf(subject);
      if (limit === 0) {
        continue;
      }
      const record = await this.store.increment(
        keyOf(subject),
        this.windowMs,
        limit,
        this.windowMs,
        'failed_auth',
      );
      if (record.isBlocked) {
        refusal = this.refusal(limit, record.timeToBlockExpire);
      }
    }
    return refusal;
  }

  private refusal(limit: number, retryAfterSeconds: number): ApiError {
    return rateLimited(limit, this.windowMs, retryAfterSeconds, 'Too many failed sign-in attempts');
  }
}

function uncounted(): ApiError {
  return new ApiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'service_unavailable',
    'Sign-in attempts cannot be counted right now, so passwords are not checked; try again in a few seconds. API tokens keep working.',
    undefined,
    { 'Retry-After': '5' },
  );
}

function keyOf(subject: FailedAuthSubject): string {
  return `failed-auth:${subject.kind === 'address' ? 'ip' : 'user'}:${subject.id}`;
}
