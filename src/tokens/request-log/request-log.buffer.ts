import { Logger } from '@nestjs/common';
import { DropOldestQueue } from './drop-oldest-queue';

/** One request made with an API token, as kept in the log. */
export interface LoggedRequest {
  tokenId: string;
  /** Epoch milliseconds. */
  at: number;
  method: string;
  path: string;
  status: number;
  ip: string;
  userAgent: string | null;
  durationMs: number;
  /**
   * Refused for its address (403 ip_not_allowed): logged and counted, but the address never used
   * the token, so it is not one of its last_used_ips (as it is not its last_used_ip).
   */
  addressRefused?: boolean;
}

/** Requests and errors (status ≥ 400) of a token on one UTC day, to add to the stored counts. */
export interface UsageCount {
  tokenId: string;
  day: string;
  requests: number;
  errors: number;
}

/** An address a token was used from, and when last. */
export interface SeenAddress {
  tokenId: string;
  ip: string;
  at: number;
}

/** Where the buffer writes; every call is one statement (a chunk of rows). */
export interface RequestLogSink {
  insertRequests(rows: LoggedRequest[]): Promise<void>;
  addUsage(rows: UsageCount[]): Promise<void>;
  touchAddresses(rows: SeenAddress[]): Promise<void>;
}

export interface RequestLogBufferOptions {
  /** Log entries kept in memory at most (TOKEN_REQUEST_LOG_BUFFER); the oldest go first. */
  capacity: number;
  flushMs: number;
  /** A flush starts early once this many entries wait. */
  flushRows?: number;
  /**
   * Rows per statement (placeholders: 8 per row; SQLite allows 32,766, MySQL 65,535). The same
   * as `flushRows` by default: an early flush is one statement per kind.
   */
  chunkRows?: number;
  /** Tokens with pending daily counts or addresses kept at most (each a few hundred bytes). */
  maxTokens?: number;
  sink: RequestLogSink;
  isOpen: () => boolean;
  /** False when this round should wait (SQLite: another process holds the write lock). */
  canWrite?: () => boolean;
  /** Told of every drop: log entries (`request_log`) or daily counts and addresses (`usage`). */
  onDrop?: (kind: 'request_log' | 'usage', count: number) => void;
  logger: Logger;
}

/** The addresses per token SPEC §11.2 shows (last_used_ips). */
export const LAST_IPS = 5;
export const MAX_PATH = 512;
export const MAX_USER_AGENT = 256;
const WARN_EVERY_MS = 10_000;
const DAY_MS = 86_400_000;

/**
 * The request log's write path (SPEC §11.2), off the request path: a request costs a push onto
 * a bounded queue and two map updates; a flush every second (or once `flushRows` wait) writes
 * the entries as one multi-row INSERT per chunk, adds the day's counts with one multi-row
 * upsert and records the addresses with another. When the database is slow or down the queue
 * drops its oldest entries (counted in `dropped`, warned about at most every 10 s); a failed
 * flush keeps its rows for the next one within the same bound. Daily counts and addresses are
 * folded per token in memory, so they stay exact when log entries are dropped.
 */
export class RequestLogBuffer {
  /** Log entries dropped because the queue was full (the lead's metrics read this). */
  dropped = 0;
  /** Daily-count and address updates dropped because too many tokens were pending. */
  droppedCounts = 0;

  private readonly queue: DropOldestQueue<LoggedRequest>;
  private usage = new Map<string, UsageCount>();
  private addresses = new Map<string, Map<string, number>>();
  private readonly flushRows: number;
  private readonly chunkRows: number;
  private readonly maxTokens: number;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private earlyFlushQueued = false;
  private lastWarnAt = 0;
  private dayStart = 0;
  private day = '';

  /** Counts what was dropped, here and for the metrics. */
  private lose(kind: 'request_log' | 'usage', count: number): void {
    if (kind === 'request_log') {
      this.dropped += count;
    } else {
      this.droppedCounts += count;
    }
    this.options.onDrop?.(kind, count);
  }

  constructor(private readonly options: RequestLogBufferOptions) {
    this.queue = new DropOldestQueue<LoggedRequest>(options.capacity);
    this.flushRows = options.flushRows ?? 1000;
    this.chunkRows = options.chunkRows ?? 1000;
    this.maxTokens = options.maxTokens ?? 100_000;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Entries waiting to be written. */
  get pending(): number {
    return this.queue.size;
  }

  /** Called once per token request, when its response has been sent. */
  record(entry: LoggedRequest): void {
    if (this.queue.push(entry)) {
      this.lose('request_log', 1);
      this.warn(
        `Request log: buffer full (${this.options.capacity} entries), oldest entries dropped ` +
          `(${this.dropped} so far); the database is not keeping up.`,
      );
    }
    const day = this.dayOf(entry.at);
    const key = `${entry.tokenId} ${day}`;
    const count = this.usage.get(key);
    const error = entry.status >= 400 ? 1 : 0;
    if (count) {
      count.requests += 1;
      count.errors += error;
    } else if (this.usage.size < this.maxTokens) {
      this.usage.set(key, { tokenId: entry.tokenId, day, requests: 1, errors: error });
    } else {
      this.lose('usage', 1);
    }
    if (!entry.addressRefused) {
      this.seen(entry.tokenId, entry.ip, entry.at);
    }
    if (this.queue.size >= this.flushRows && !this.earlyFlushQueued) {
      this.earlyFlushQueued = true;
      void this.flush();
    }
  }

  /** Writes everything pending; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private seen(tokenId: string, ip: string, at: number): void {
    let ips = this.addresses.get(tokenId);
    if (!ips) {
      if (this.addresses.size >= this.maxTokens) {
        this.lose('usage', 1);
        return;
      }
      ips = new Map();
      this.addresses.set(tokenId, ips);
    }
    const before = ips.get(ip);
    if (before === undefined || before < at) {
      ips.set(ip, at);
    }
    if (ips.size > LAST_IPS) {
      // Only the newest five can ever be shown: forget the oldest one seen.
      let oldestIp = '';
      let oldestAt = Infinity;
      for (const [address, when] of ips) {
        if (when < oldestAt) {
          oldestAt = when;
          oldestIp = address;
        }
      }
      ips.delete(oldestIp);
    }
  }

  private dayOf(at: number): string {
    if (at < this.dayStart || at >= this.dayStart + DAY_MS) {
      this.dayStart = at - (at % DAY_MS);
      this.day = new Date(this.dayStart).toISOString().slice(0, 10);
    }
    return this.day;
  }

  private async writePending(): Promise<void> {
    this.earlyFlushQueued = false;
    if (this.queue.size === 0 && this.usage.size === 0 && this.addresses.size === 0) {
      return;
    }
    if (!this.options.isOpen()) {
      this.options.logger.warn(
        `Request log: ${this.queue.size} entries not written: the database is closed.`,
      );
      return;
    }
    if (this.options.canWrite && !this.options.canWrite()) {
      return; // everything stays queued (within the bound) for the next round
    }
    await this.writeLog();
    await this.writeUsage();
    await this.writeAddresses();
  }

  private async writeLog(): Promise<void> {
    // What is queued now; entries arriving meanwhile wait for the next flush.
    let remaining = this.queue.size;
    while (remaining > 0) {
      const chunk = this.queue.take(Math.min(this.chunkRows, remaining));
      if (chunk.length === 0) {
        return;
      }
      remaining -= chunk.length;
      try {
        await this.options.sink.insertRequests(chunk);
      } catch (error) {
        const lost = this.queue.putBack(chunk);
        this.lose('request_log', lost);
        this.warn(
          `Request log: could not write ${chunk.length} entries (kept for the next try` +
            `${lost > 0 ? `, ${lost} oldest dropped` : ''}): ${(error as Error).message}`,
        );
        return;
      }
    }
  }

  private async writeUsage(): Promise<void> {
    if (this.usage.size === 0) {
      return;
    }
    const rows = [...this.usage.values()].sort(
      (a, b) => compare(a.tokenId, b.tokenId) || compare(a.day, b.day),
    );
    this.usage = new Map();
    for (let i = 0; i < rows.length; i += this.chunkRows) {
      const chunk = rows.slice(i, i + this.chunkRows);
      try {
        await this.options.sink.addUsage(chunk);
      } catch (error) {
        // Not written: fold back in with what came since (an upsert adds, so nothing doubles).
        for (const row of rows.slice(i)) {
          const key = `${row.tokenId} ${row.day}`;
          const newer = this.usage.get(key);
          if (newer) {
            newer.requests += row.requests;
            newer.errors += row.errors;
          } else if (this.usage.size < this.maxTokens) {
            this.usage.set(key, row);
          } else {
            this.lose('usage', row.requests);
          }
        }
        this.warn(`Request log: could not add daily usage: ${(error as Error).message}`);
        return;
      }
    }
  }

  private async writeAddresses(): Promise<void> {
    if (this.addresses.size === 0) {
      return;
    }
    const rows: SeenAddress[] = [];
    for (const [tokenId, ips] of this.addresses) {
      for (const [ip, at] of ips) {
        rows.push({ tokenId, ip, at });
      }
    }
    rows.sort((a, b) => compare(a.tokenId, b.tokenId) || compare(a.ip, b.ip));
    this.addresses = new Map();
    for (let i = 0; i < rows.length; i += this.chunkRows) {
      try {
        await this.options.sink.touchAddresses(rows.slice(i, i + this.chunkRows));
      } catch (error) {
        for (const row of rows.slice(i)) {
          this.seen(row.tokenId, row.ip, row.at);
        }
        this.warn(`Request log: could not record addresses: ${(error as Error).message}`);
        return;
      }
    }
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt >= WARN_EVERY_MS) {
      this.lastWarnAt = now;
      this.options.logger.warn(message);
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
