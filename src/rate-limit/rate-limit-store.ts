import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Where rate-limit counters live: @nestjs/throttler's storage contract (counts in a window and
 * a block once the limit is passed), plus a read-only look at whether a key is blocked — the
 * failed-authentication limit must refuse a blocked address before it checks a credential.
 */
export abstract class RateLimitStore implements ThrottlerStorage {
  abstract increment(
    key: string,
    ttlMs: number,
    limit: number,
    blockDurationMs: number,
    throttlerName: string,
  ): Promise<StorageRecord>;

  /**
   * `increment` for counts that must not fail open (failed-authentication reservations): null
   * when the store did not answer, instead of a record that lets the request through.
   */
  abstract tryIncrement(
    key: string,
    ttlMs: number,
    limit: number,
    blockDurationMs: number,
  ): Promise<StorageRecord | null>;

  /** Milliseconds `key` stays blocked; 0 when it is not blocked. */
  abstract blockedFor(key: string): Promise<number>;

  /**
   * Gives back one hit of `key`'s current window (an attempt counted in advance that turned out
   * not to be a failure). Never lifts a block, never goes below zero.
   */
  abstract release(key: string): Promise<void>;
}

interface Window {
  hits: number;
  resetAt: number;
  blockedUntil: number;
}

/**
 * One process: fixed-window counters in a Map, O(1) per request whatever the limit (the
 * library's own in-memory storage keeps one timestamp per hit, which grows with the limit).
 * Finished windows are swept once a minute.
 */
export class MemoryRateLimitStore extends RateLimitStore implements OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    super();
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  increment(
    key: string,
    ttlMs: number,
    limit: number,
    blockDurationMs: number,
  ): Promise<StorageRecord> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || (window.resetAt <= now && window.blockedUntil <= now)) {
      window = { hits: 0, resetAt: now + ttlMs, blockedUntil: 0 };
      this.windows.set(key, window);
    }
    if (window.blockedUntil > now) {
      return Promise.resolve(record(window, now, true, window.blockedUntil - now));
    }
    window.hits++;
    if (window.hits <= limit) {
      return Promise.resolve(record(window, now, false, 0));
    }
    if (blockDurationMs > 0) {
      window.blockedUntil = now + blockDurationMs;
      return Promise.resolve(record(window, now, true, blockDurationMs));
    }
    return Promise.resolve(record(window, now, true, window.resetAt - now));
  }

  tryIncrement(
    key: string,
    ttlMs: number,
    limit: number,
    blockDurationMs: number,
  ): Promise<StorageRecord | null> {
    return this.increment(key, ttlMs, limit, blockDurationMs);
  }

  blockedFor(key: string): Promise<number> {
    const window = this.windows.get(key);
    return Promise.resolve(window ? Math.max(0, window.blockedUntil - Date.now()) : 0);
  }

  release(key: string): Promise<void> {
    const window = this.windows.get(key);
    if (window && window.hits > 0 && window.resetAt > Date.now()) {
      window.hits--;
    }
    return Promise.resolve();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, window] of this.windows) {
      if (window.resetAt <= now && window.blockedUntil <= now) {
        this.windows.delete(key);
      }
    }
  }
}

function record(window: Window, now: number, blocked: boolean, waitMs: number): StorageRecord {
  return {
    totalHits: window.hits,
    timeToExpire: Math.ceil((window.resetAt - now) / 1000),
    isBlocked: blocked,
    timeToBlockExpire: Math.ceil(waitMs / 1000),
  };
}

// Fixed window counter plus an optional block key, atomically: returns hits, ms left in the
// window, blocked (0/1) and ms until requests are let in again. With no block duration, a key
// past its limit is refused until its window ends.
const INCREMENT_SCRIPT = `
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return {hits, redis.call('PTTL', KEYS[1]), 1, blocked}
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  if tonumber(ARGV[3]) > 0 then
    redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
    return {hits, ttl, 1, tonumber(ARGV[3])}
  end
  return {hits, ttl, 1, ttl}
end
return {hits, ttl, 0, 0}
`;

// One hit back, atomically, only while the window lives and has hits (DECR keeps the expiry).
const RELEASE_SCRIPT = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
`;

interface RedisWithIncrement extends Redis {
  rateLimitRelease(hitsKey: string): Promise<number>;
  rateLimitIncrement(
    hitsKey: string,
    blockKey: string,
    ttlMs: number,
    limit: number,
    blockMs: number,
  ): Promise<[number, number, number, number]>;
}

/**
 * Several instances: counters in Redis, so every instance sees the same counts. If Redis does
 * not answer, request limits fail open (requests go on, a warning is logged) rather than taking
 * the API down with it; failed-authentication reservations (`tryIncrement`) do not, so that no
 * password is verified uncounted.
 */
export class RedisRateLimitStore extends RateLimitStore implements OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: RedisWithIncrement;
  private lastWarning = 0;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    super();
    this.redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: 500,
    }) as RedisWithIncrement;
    this.redis.on('error', (error: Error) => this.warn(error));
    this.redis.defineCommand('rateLimitIncrement', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    this.redis.defineCommand('rateLimitRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  }

  async increment(
    key: string,
    ttlMs: number,
    limit: number,
    blockDurationMs: number,
  ): Promise<StorageRecord> {
    return (
      (await this.tryIncrement(key, ttlMs, limit, blockDurationMs)) ?? {
        totalHits: 0,
        timeToExpire: Math.ceil(ttlMs / 1000),
        isBlocked: false,
        timeToBlockExpire: 0,
      }
    );
  }

  async tryIncrement(
    key: string,
    ttlMs: number,
    limit: number,
    blockDurationMs: number,
  ): Promise<StorageRecord | null> {
    try {
      const [hits, ttl, blocked, blockTtl] = await this.redis.rateLimitIncrement(
        `${this.prefix}${key}`,
        `${this.prefix}${key}:blocked`,
        ttlMs,
        limit,
        blockDurationMs,
      );
      return {
        totalHits: hits,
        timeToExpire: Math.ceil(ttl / 1000),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.ceil(blockTtl / 1000),
      };
    } catch (error) {
      this.warn(error as Error);
      return null;
    }
  }

  async blockedFor(key: string): Promise<number> {
    try {
      return Math.max(0, await this.redis.pttl(`${this.prefix}${key}:blocked`));
    } catch (error) {
      this.warn(error as Error);
      return 0;
    }
  }

  async release(key: string): Promise<void> {
    try {
      await this.redis.rateLimitRelease(`${this.prefix}${key}`);
    } catch (error) {
      this.warn(error as Error);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }

  private warn(error: Error): void {
    // At most one line every ten seconds while Redis is away.
    if (Date.now() - this.lastWarning > 10_000) {
      this.lastWarning = Date.now();
      this.logger.warn(`Redis unavailable, rate limits are not applied: ${error.message}`);
    }
  }
}
