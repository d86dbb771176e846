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
  maxEntries: number;
  // Remember a load that found nothing (null), e.g. hashes of tokens nobody issued, so that
  // guessing costs no database read either. Off by default: a miss is simply not cached.
  rememberMisses?: boolean;
}

/**
 * A bounded cache whose entries expire, filled through getOrLoad and emptied by invalidations.
 * It owns the race protection: callers never see generations or the underlying map.
 */
export class InvalidatingCache<K, V extends object> {
  // null marks a remembered miss; undefined (absent) means nothing is known.
  private readonly entries: TtlMap<K, V | null>;
  private readonly rememberMisses: boolean;

  constructor(
    options: InvalidatingCacheOptions,
    private readonly invalidations = new InvalidationCounter(),
  ) {
    this.entries = new TtlMap(options.ttlMs, options.maxEntries);
    this.rememberMisses = options.rememberMisses ?? false;
  }

  /**
   * The cached value, null for a remembered miss, undefined when nothing is cached. One map
   * lookup and no promise: request paths call it first and getOrLoad only on undefined.
   */
  get(key: K): V | null | undefined {
    return this.entries.get(key);
  }

  /** The cached value, or the loader's (null: nothing found), cached unless overtaken. */
  async getOrLoad(key: K, loader: () => Promise<V | null>): Promise<V | null> {
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const before = this.invalidations.value;
    const loaded = await loader();
    if (before === this.invalidations.value && (loaded !== null || this.rememberMisses)) {
      this.entries.set(key, loaded);
    }
    return loaded;
  }

  /** Drops one entry, a remembered miss included; a load in flight is not kept. */
  delete(key: K): void {
    this.invalidations.bump();
    this.entries.delete(key);
  }

  /** Drops the values the predicate matches (remembered misses have none to match). */
  deleteWhere(predicate: (value: V, key: K) => boolean): void {
    this.invalidations.bump();
    this.entries.deleteWhere((value, key) => value !== null && predicate(value, key));
  }

  get size(): number {
    return this.entries.size;
  }
}
