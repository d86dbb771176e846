/**
 * A fixed-capacity FIFO: adding to a full queue drops the oldest entry. Memory is bounded by
 * the capacity whatever happens downstream (a slow or unreachable database).
 */
export class DropOldestQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds an entry; true when the oldest had to be dropped for it. */
  push(item: T): boolean {
    let dropped = false;
    if (this.count === this.capacity) {
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count -= 1;
      dropped = true;
    }
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count += 1;
    return dropped;
  }

  /** Removes and returns up to `n` of the oldest entries, oldest first. */
  take(n: number): T[] {
    const out: T[] = [];
    const k = Math.min(n, this.count);
    for (let i = 0; i < k; i++) {
      out.push(this.items[this.head] as T);
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.count -= k;
    return out;
  }

  /**
   * Puts back entries taken earlier (older than everything queued since), in front, as far as
   * the capacity allows: the oldest of them are dropped first. Returns how many were dropped.
   */
  putBack(older: T[]): number {
    const room = this.capacity - this.count;
    const kept = older.length <= room ? older : older.slice(older.length - room);
    for (let i = kept.length - 1; i >= 0; i--) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.items[this.head] = kept[i];
      this.count += 1;
    }
    return older.length - kept.length;
  }
}
