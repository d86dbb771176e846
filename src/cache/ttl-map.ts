/**
 * A bounded map whose entries expire: an entry is forgotten before `ttlMs` has passed since it
 * was set (and not before half of it), and the oldest entry goes first when the map is full.
 *
 * Entries carry no time of their own. They live in two generations, each spanning half the
 * time to live: what is set goes into the current one, the current one becomes the previous one
 * when its half is over, and the previous one is dropped whole. Caches of 100,000 tokens hold
 * 100,000 entries (issue 16: peak RSS); a per-entry wrapper with its expiry time cost about
 * 56 bytes each.
 */
export class TtlMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private readonly halfMs: number;
  /** When the current generation began. */
  private startedAt: number;

  constructor(
    ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.halfMs = Math.max(1, Math.floor(ttlMs / 2));
    this.startedAt = this.now();
  }

  get(key: K): V | undefined {
    this.age();
    const value = this.current.get(key);
    return value !== undefined ? value : this.previous.get(key);
  }

  set(key: K, value: V): void {
    this.age();
    if (!this.previous.delete(key) && !this.current.has(key) && this.size >= this.maxEntries) {
      // Full: the oldest entry goes, the previous generation's first.
      const oldestGeneration = this.previous.size > 0 ? this.previous : this.current;
      const oldest = oldestGeneration.keys().next();
      if (!oldest.done) {
        oldestGeneration.delete(oldest.value);
      }
    }
    this.current.delete(key); // set again: it counts as new, at the end of the order
    this.current.set(key, value);
  }

  delete(key: K): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  deleteWhere(predicate: (value: V, key: K) => boolean): void {
    for (const generation of [this.previous, this.current]) {
      for (const [key, value] of generation) {
        if (predicate(value, key)) {
          generation.delete(key);
        }
      }
    }
  }

  /** Entries held, some of which may be past their time until the next read or write. */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  /**
   * Moves on to the generation the clock is in. A generation starts at a multiple of half the
   * time to live after the first, so an entry set in one is gone once the next one has ended:
   * under `ttlMs` after it was set.
   */
  private age(): void {
    const elapsed = this.now() - this.startedAt;
    if (elapsed < this.halfMs) {
      return;
    }
    const halves = Math.floor(elapsed / this.halfMs);
    if (halves === 1) {
      this.previous = this.current;
    } else {
      this.previous = new Map();
    }
    this.current = new Map();
    this.startedAt += halves * this.halfMs;
  }
}
