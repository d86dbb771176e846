import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';

export type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Whose requests a rate-limit window counts: a token's, an OAuth access token's (its family's
 * token id) or, for passwords and sessions, the user's.
 */
export interface RateBucket {
  kind: 'token' | 'oauth' | 'user';
  id: string;
}

/** The key of a bucket's window in a shared store. */
export function rateKey(bucket: RateBucket): string {
  return `req:${bucket.kind}:${bucket.id}`;
}

/**
 * What one authenticated request spends (SPEC §11.1): a hit in its rate-limit window and one
 * request of its token's quota, decided together (one Redis round trip). The quota is checked
 * first: a request refused for its quota spends nothing, one refused for its rate still counts
 * against the quota.
 */
export interface RequestCharge {
  rate: { bucket: RateBucket; ttlMs: number; limit: number } | null;
  /**
   * `init`: the count to start from when the store has none for this period yet (the
   * persisted count); without it, such a charge answers `unknown` and counts nothing.
   */
  quota: { key: string; limit: number; ttlMs: number; init?: number } | null;
}

export type QuotaOutcome =
  | { state: 'counted' | 'exceeded'; used: number }
  /** The store holds no count for this period: charge again with `init`. */
  | { state: 'unknown' }
  /** The store did not answer: the request was not counted there. */
  | { state: 'unavailable' };

export interface ChargeOutcome {
  quota: QuotaOutcome | null;
  /** null when no rate limit applies, or when the quota refused the request. */
  rate: StorageRecord | null;
}

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

  /** Counts one request against its rate limit and quota (see RequestCharge). */
  abstract charge(charge: RequestCharge): Promise<ChargeOutcome>;

  /** The current counts of quota keys; null where the store has none (or does not answer). */
  abstract quotaCounts(keys: readonly string[]): Promise<Array<number | null>>;

  /**
   * One request of `key` counted elsewhere while the store did not answer (`unavailable`), to be
   * added to the store's count once it answers again. False when it cannot be kept (too many
   * counts waiting already).
   */
  abstract countLater(key: string): boolean;
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
  /** Windows by key: failed-authentication counts and whatever else uses the key contract. */
  private readonly windows = new Map<string, Window>();
  /**
   * Request windows per bucket kind, by the bucket's id: the principal's own id string, so that
   * 100,000 tokens in use keep no key string of their own here (issue 16: peak RSS).
   */
  private readonly buckets: Record<RateBucket['kind'], Map<string, Window>> = {
    token: new Map(),
    oauth: new Map(),
    user: new Map(),
  };
  /** Quota counts of the current periods, until each period ends. */
  private readonly quotas = new Map<string, { used: number; expiresAt: number }>();
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
    return Promise.resolve(hit(this.windows, key, ttlMs, limit, blockDurationMs));
  }

  charge({ rate, quota }: RequestCharge): Promise<ChargeOutcome> {
    let counted: QuotaOutcome | null = null;
    if (quota) {
      const now = Date.now();
      let entry = this.quotas.get(quota.key);
      if (!entry || entry.expiresAt <= now) {
        if (quota.init === undefined) {
          return Promise.resolve({ quota: { state: 'unknown' }, rate: null });
        }
        entry = { used: quota.init, expiresAt: now + quota.ttlMs };
        this.quotas.set(quota.key, entry);
      }
      if (entry.used >= quota.limit) {
        return Promise.resolve({ quota: { state: 'exceeded', used: entry.used }, rate: null });
      }
      entry.used++;
      counted = { state: 'counted', used: entry.used };
    }
    return Promise.resolve({
      quota: counted,
      rate: rate
        ? hit(this.buckets[rate.bucket.kind], rate.bucket.id, rate.ttlMs, rate.limit, 0)
        : null,
    });
  }

  countLater(): boolean {
    return true; // an in-memory store always answers
  }

  quotaCounts(keys: readonly string[]): Promise<Array<number | null>> {
    const now = Date.now();
    return Promise.resolve(
      keys.map((key) => {
        const entry = this.quotas.get(key);
        return entry && entry.expiresAt > now ? entry.used : null;
      }),
    );
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
    for (const windows of [this.windows, ...Object.values(this.buckets)]) {
      for (const [key, window] of windows) {
        if (window.resetAt <= now && window.blockedUntil <= now) {
          windows.delete(key);
        }
      }
    }
    for (const [key, entry] of this.quotas) {
      if (entry.expiresAt <= now) {
        this.quotas.delete(key);
      }
    }
  }
}

/** One hit in `key`'s fixed window in `windows` (see MemoryRateLimitStore). */
function hit(
  windows: Map<string, Window>,
  key: string,
  ttlMs: number,
  limit: number,
  blockDurationMs: number,
): StorageRecord {
  const now = Date.now();
  let window = windows.get(key);
  if (!window || (window.resetAt <= now && window.blockedUntil <= now)) {
    window = { hits: 0, resetAt: now + ttlMs, blockedUntil: 0 };
    windows.set(key, window);
  }
  if (window.blockedUntil > now) {
    return record(window, now, true, window.blockedUntil - now);
  }
  window.hits++;
  if (window.hits <= limit) {
    return record(window, now, false, 0);
  }
  if (blockDurationMs > 0) {
    window.blockedUntil = now + blockDurationMs;
    return record(window, now, true, blockDurationMs);
  }
  return record(window, now, true, window.resetAt - now);
}

function record(window: Window, now: number, blocked: boolean, waitMs: number): StorageRecord {
  return {
    totalHits: window.hits,
    timeToExpire: Math.ceil((window.resetAt - now) / 1000),
    isBlocked: blocked,
    timeToBlockExpire: Math.ceil(waitMs / 1000),
  };
}

// One hit in KEYS[1]'s fixed window of ARGV[1] ms (both scripts below): sets `hits` and `ttl`
// (ms left in the window), starting the window with the first hit.
const WINDOW_HIT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end`;

// Fixed window counter plus an optional block key, atomically: returns hits, ms left in the
// window, blocked (0/1) and ms until requests are let in again. With no block duration, a key
// past its limit is refused until its window ends.
const INCREMENT_SCRIPT = `
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return {hits, redis.call('PTTL', KEYS[1]), 1, blocked}
end
${WINDOW_HIT}
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

// One authenticated request (RequestCharge), atomically. KEYS: rate hits, rate block, quota.
// ARGV: rate window ms, rate limit (-1: none), quota limit (-1: none), quota ms to live, quota
// count to start from (-1: none). Returns {quota state, quota count, hits, ms left in the window,
// blocked, ms blocked}; quota state 1 counted, 0 no quota, -1 unknown (no count and no start),
// -2 exceeded (nothing else counted).
const CHARGE_SCRIPT = `
local qstate = 0
local qused = 0
if tonumber(ARGV[3]) >= 0 then
  local v = redis.call('GET', KEYS[3])
  if not v then
    if tonumber(ARGV[5]) < 0 then
      return {-1, 0, 0, 0, 0, 0}
    end
    redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[4], 'NX')
    v = redis.call('GET', KEYS[3])
  end
  if tonumber(v) >= tonumber(ARGV[3]) then
    return {-2, tonumber(v), 0, 0, 0, 0}
  end
  qstate = 1
  qused = redis.call('INCR', KEYS[3])
end
if tonumber(ARGV[2]) < 0 then
  return {qstate, qused, 0, 0, 0, 0}
end
${WINDOW_HIT}
if hits > tonumber(ARGV[2]) then
  return {qstate, qused, hits, ttl, 1, ttl}
end
return {qstate, qused, hits, ttl, 0, 0}
`;

// Requests counted while Redis did not answer, added back once it does: only to a count that
// still exists (one that was lost starts again from the persisted count, which has them).
const QUOTA_RESYNC_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('INCRBY', KEYS[1], ARGV[1])
end
return 0
`;

/** At most this many quota counts wait to be added back to Redis; beyond, they are dropped. */
const MAX_UNSYNCED_QUOTAS = 10_000;

interface RedisWithIncrement extends Redis {
  rateLimitCharge(
    hitsKey: string,
    blockKey: string,
    quotaKey: string,
    ttlMs: number,
    limit: number,
    quotaLimit: number,
    quotaTtlMs: number,
    quotaInit: number,
  ): Promise<[number, number, number, number, number, number]>;
  quotaResync(quotaKey: string, count: number): Promise<number>;
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
    this.redis.defineCommand('rateLimitCharge', { numberOfKeys: 3, lua: CHARGE_SCRIPT });
    this.redis.defineCommand('quotaResync', { numberOfKeys: 1, lua: QUOTA_RESYNC_SCRIPT });
  }

  /** Quota requests counted while Redis was away, by key; added back when it answers. */
  private readonly unsynced = new Map<string, number>();
  private resyncing = false;

  async charge({ rate, quota }: RequestCharge): Promise<ChargeOutcome> {
    const noRate = rate ?? { ttlMs: 0, limit: -1 };
    const windowKey = rate ? rateKey(rate.bucket) : 'none';
    try {
      const [qstate, qused, hits, ttl, blocked, blockTtl] = await this.redis.rateLimitCharge(
        `${this.prefix}${windowKey}`,
        `${this.prefix}${windowKey}:blocked`,
        `${this.prefix}${quota?.key ?? 'none'}`,
        noRate.ttlMs,
        noRate.limit,
        quota ? quota.limit : -1,
        quota?.ttlMs ?? 0,
        quota?.init ?? -1,
      );
      if (this.unsynced.size > 0) {
        void this.resync();
      }
      if (qstate === -1) {
        return { quota: { state: 'unknown' }, rate: null };
      }
      if (qstate === -2) {
        return { quota: { state: 'exceeded', used: qused }, rate: null };
      }
      return {
        quota: qstate === 1 ? { state: 'counted', used: qused } : null,
        rate: rate
          ? {
              totalHits: hits,
              timeToExpire: Math.ceil(ttl / 1000),
              isBlocked: blocked === 1,
              timeToBlockExpire: Math.ceil(blockTtl / 1000),
            }
          : null,
      };
    } catch (error) {
      this.warn(error as Error);
      return {
        quota: quota ? { state: 'unavailable' } : null,
        rate: rate
          ? {
              totalHits: 0,
              timeToExpire: Math.ceil(rate.ttlMs / 1000),
              isBlocked: false,
              timeToBlockExpire: 0,
            }
          : null,
      };
    }
  }

  async quotaCounts(keys: readonly string[]): Promise<Array<number | null>> {
    if (keys.length === 0) {
      return [];
    }
    try {
      const values = await this.redis.mget(keys.map((key) => `${this.prefix}${key}`));
      return values.map((v) => (v === null ? null : Number(v)));
    } catch (error) {
      this.warn(error as Error);
      return keys.map(() => null);
    }
  }

  countLater(key: string): boolean {
    const waiting = this.unsynced.get(key);
    if (waiting === undefined && this.unsynced.size >= MAX_UNSYNCED_QUOTAS) {
      return false;
    }
    this.unsynced.set(key, (waiting ?? 0) + 1);
    return true;
  }

  private async resync(): Promise<void> {
    if (this.resyncing) {
      return;
    }
    this.resyncing = true;
    try {
      for (const [key, count] of [...this.unsynced]) {
        await this.redis.quotaResync(`${this.prefix}${key}`, count);
        const left = (this.unsynced.get(key) ?? count) - count;
        if (left > 0) {
          this.unsynced.set(key, left);
        } else {
          this.unsynced.delete(key);
        }
      }
    } catch (error) {
      this.warn(error as Error);
    } finally {
      this.resyncing = false;
    }
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
      this.logger.warn(
        `Redis unavailable, rate limits are not applied and quotas are counted by each instance on its own: ${error.message}`,
      );
    }
  }
}
