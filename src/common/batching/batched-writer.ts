import { Logger } from '@nestjs/common';

export interface BatchedWriterOptions<K, V> {
  /** Names what is written, for the log ("token usage"). */
  what: string;
  intervalMs: number;
  /** Folds a newer record into an older one for the same key. */
  merge: (older: V, newer: V) => V;
  /** Writes one key's record (or give `writeBatch`). */
  write?: (key: K, value: V) => Promise<void>;
  /**
   * Writes up to `batchSize` keys' records in one statement, all or nothing: a flush of many
   * keys then costs a few statements instead of one per key.
   */
  writeBatch?: (batch: ReadonlyArray<readonly [K, V]>) => Promise<void>;
  batchSize?: number;
  /**
   * A flush starts early when this many keys wait, so that memory holds at most about this many
   * records (plus what a slow or failed flush keeps) whatever the interval.
   */
  flushAtSize?: number;
  /** Whether the database can still be written (false once it is closed). */
  isOpen: () => boolean;
  logger: Logger;
}

/**
 * Bookkeeping kept off the request path: records are folded per key in memory and written in
 * one batch per interval (and on demand, and at shutdown), so a request never waits on a write
 * and a key costs at most one write per interval. Flushes run one after another; what fails to
 * be written is kept (folded with anything newer) for the next flush, and nothing already
 * written is written again.
 */
export class BatchedWriter<K, V> {
  private pending = new Map<K, V>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: BatchedWriterOptions<K, V>) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  add(key: K, value: V): void {
    const older = this.pending.get(key);
    if (older !== undefined) {
      this.pending.set(key, this.options.merge(older, value));
      return;
    }
    this.pending.set(key, value);
    // Only on reaching the size, not past it: records kept back by a failed flush wait for the
    // timer instead of setting off a flush with every new key while the database is down.
    if (this.pending.size === this.options.flushAtSize) {
      void this.flush();
    }
  }

  get size(): number {
    return this.pending.size;
  }

  /** Writes everything pending; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) {
      return;
    }
    const { what, logger } = this.options;
    if (!this.options.isOpen()) {
      // The shutdown flush runs before the (global) TypeORM module closes the DataSource;
      // landing here means that order broke, so say what was lost instead of dropping it quietly.
      logger.warn(`${what} of ${this.pending.size} record(s) not written: the database is closed.`);
      return;
    }
    const batch = [...this.pending];
    this.pending = new Map();
    const size = this.options.writeBatch ? Math.max(1, this.options.batchSize ?? 500) : 1;
    for (let i = 0; i < batch.length; i += size) {
      try {
        if (this.options.writeBatch) {
          await this.options.writeBatch(batch.slice(i, i + size));
        } else {
          const [key, value] = batch[i];
          await this.options.write?.(key, value);
        }
      } catch (error) {
        // Keep this record and the rest for the next round, folded with anything newer.
        for (const [laterKey, laterValue] of batch.slice(i)) {
          const newer = this.pending.get(laterKey);
          this.pending.set(
            laterKey,
            newer === undefined ? laterValue : this.options.merge(laterValue, newer),
          );
        }
        logger.warn(`Could not record ${what}: ${(error as Error).message}`);
        return;
      }
    }
  }
}
