import { TtlMap } from './ttl-map';

/**
 * Counts invalidations. A load notes it first and keeps its result only if it has not moved, so
 * a read that raced a revocation is never cached. Caches created by AuthCache share one counter:
 * an invalidation of any kind, for any cache, discards every load in flight.
 */
export class InvalidationCounter {
  private count = 0;

  get value(): number {
    return this.count;
  }

  bump(): void {
    this.count += 1;
  }
}

export interface InvalidatingCacheOptions {
  ttlMs: number;
  // Bounds the values, and apart from them the remembered misses.
  maxEntries: number;
  // Remember a load that found nothing (null), e.g. hashes of tokens nobody issued, so that
  // guessing costs no database read either. Off by default: a miss is simply not cached.
  rememberMisses?: boolean;
}

/**
 * A bounded cache whose entries expire, filled through getOrLoad and emptied by invalidations.
 * It owns the race protection: callers never see generations or the underlying maps.
 */
export class InvalidatingCache<K, V extends object> {
  private readonly values: TtlMap<K, V>;
  // Kept apart from the values, so that a flood of guesses cannot push real entries out.
  private readonly misses: TtlMap<K, true> | null;

  constructor(
    options: InvalidatingCacheOptions,
    private readonly invalidations = new InvalidationCounter(),
  ) {
    this.values = new TtlMap(options.ttlMs, options.maxEntries);
    this.misses = options.rememberMisses ? new TtlMap(options.ttlMs, options.maxEntries) : null;
  }

  /**
   * The cached value, null for a remembered miss, undefined when nothing is cached. A hit is one
   * map lookup and no promise: request paths call this first and getOrLoad only on undefined.
   */
  get(key: K): V | null | undefined {
    const value = this.values.get(key);
    if (value !== undefined || !this.misses) {
      return value;
    }
    return this.misses.get(key) ? null : undefined;
  }

  /** The cached value, or the loader's (null: nothing found), cached unless overtaken. */
  async getOrLoad(key: K, loader: () => Promise<V | null>): Promise<V | null> {
    const cached = this.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const before = this.invalidations.value;
    const loaded = await loader();
    if (before === this.invalidations.value) {
      if (loaded !== null) {
        this.values.set(key, loaded);
      } else {
        this.misses?.set(key, true);
      }
    }
    return loaded;
  }

  /** Drops one entry, a remembered miss included; a load in flight is not kept. */
  delete(key: K): void {
    this.invalidations.bump();
    this.values.delete(key);
    this.misses?.delete(key);
  }

  /** Drops the values the predicate matches (remembered misses have none to match). */
  deleteWhere(predicate: (value: V, key: K) => boolean): void {
    this.invalidations.bump();
    this.values.deleteWhere(predicate);
  }

  /** Values and remembered misses held, expired ones not yet swept included. */
  get size(): number {
    return this.values.size + (this.misses?.size ?? 0);
  }
}
