import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import { quotaWindow, QuotaWindow, TokenQuota } from './quota';
import { ChargeOutcome, RateLimitStore, RequestCharge, StorageRecord } from './rate-limit-store';

/** What one request of a token with a quota spent, and what is left. */
export interface QuotaCharge {
  window: QuotaWindow;
  /** Requests counted in this period, this one included (when it was let in). */
  used: number;
  exceeded: boolean;
  /** The rate-limit window's record; null without a rate limit, or when the quota refused. */
  rate: StorageRecord | null;
}

interface Pending {
  tokenId: string;
  periodKey: string;
  count: number;
}

/** Rows per upsert statement (well within SQLite's and MySQL's placeholder limits). */
const ROWS_PER_STATEMENT = 300;

/**
 * Token quotas (SPEC §11.1). The live count of a period is kept where the rate limits are
 * (Redis across instances, else this process), charged in the same round trip as the rate
 * limit; the database keeps the persisted count, to which each instance adds what it counted,
 * in batches (`token_quota_usage.used = used + n`, never read-modify-write) and at shutdown. A
 * count the store does not have yet (first request of a period, a restarted single instance,
 * a Redis that lost its data) starts from the persisted count plus what this instance has not
 * written yet. While Redis does not answer, each instance counts on from the last count it saw
 * (so the quota still holds, per instance), and those requests are added to Redis once it is
 * back.
 */
@Injectable()
export class QuotaLedger implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Quota');
  private pending = new Map<string, Pending>();
  /** The last count seen per quota key: where counting goes on while the store is away. */
  private readonly lastSeen = new Map<string, { used: number; endsAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private lastWarning = 0;
  /** For metrics and the log: requests counted while the shared store did not answer. */
  readonly counters = { countedLocally: 0, flushFailures: 0 };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: RateLimitStore,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.quotaFlushMs);
    this.timer.unref();
  }

  /** Before any module closes (the database among them): the last counts are written. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Charges one request of `tokenId` against its quota and (when given) its rate limit. */
  async charge(
    tokenId: string,
    quota: TokenQuota,
    rate: RequestCharge['rate'],
    now = Date.now(),
  ): Promise<QuotaCharge> {
    const window = quotaWindow(quota.period, now);
    const key = quotaKey(tokenId, window);
    // Kept an hour past the period's end, so that a request at the boundary never restarts it.
    const spec = { key, limit: quota.limit, ttlMs: window.endsAt - now + 3_600_000 };
    let outcome: ChargeOutcome = await this.store.charge({ rate, quota: spec });
    if (outcome.quota?.state === 'unknown') {
      const init = await this.persisted(tokenId, window.key);
      outcome = await this.store.charge({ rate, quota: { ...spec, init } });
    }
    const counted = outcome.quota;
    if (counted?.state === 'counted') {
      this.add(tokenId, window.key);
      this.lastSeen.set(key, { used: counted.used, endsAt: window.endsAt });
      return { window, used: counted.used, exceeded: false, rate: outcome.rate };
    }
    if (counted?.state === 'exceeded') {
      this.lastSeen.set(key, { used: counted.used, endsAt: window.endsAt });
      return { window, used: counted.used, exceeded: true, rate: null };
    }
    // The store did not answer: count on here, from the last count this instance saw.
    const seen =
      this.lastSeen.get(key) ??
      ({ used: await this.persisted(tokenId, window.key), endsAt: window.endsAt } as const);
    if (seen.used >= quota.limit) {
      return { window, used: seen.used, exceeded: true, rate: outcome.rate };
    }
    const used = seen.used + 1;
    this.lastSeen.set(key, { used, endsAt: window.endsAt });
    this.add(tokenId, window.key);
    if (!this.store.countLater(key)) {
      // Still in the persisted count, but Redis will not hear of it.
      this.metrics.accountingDropped('quota');
    }
    this.counters.countedLocally++;
    this.metrics.quotaCountedLocally();
    this.warn('the shared counter store did not answer; quotas are counted by this instance');
    return { window, used, exceeded: false, rate: outcome.rate };
  }

  /** The requests each token has spent in its current period (SPEC §11.1 `quota_used`). */
  async usedBy(
    tokens: ReadonlyArray<{ id: string; quota: TokenQuota | null }>,
    now = Date.now(),
  ): Promise<Map<string, number>> {
    const withQuota = tokens.filter(
      (t): t is { id: string; quota: TokenQuota } => t.quota !== null,
    );
    const windows = withQuota.map((t) => quotaWindow(t.quota.period, now));
    const live = await this.store.quotaCounts(withQuota.map((t, i) => quotaKey(t.id, windows[i])));
    const used = new Map<string, number>();
    const missing: Array<{ tokenId: string; periodKey: string }> = [];
    withQuota.forEach((t, i) => {
      const count = live[i];
      if (count !== null) {
        used.set(t.id, count);
      } else {
        missing.push({ tokenId: t.id, periodKey: windows[i].key });
      }
    });
    if (missing.length > 0) {
      const stored = await this.persistedMany(missing);
      for (const m of missing) {
        used.set(
          m.tokenId,
          (stored.get(pendingKey(m.tokenId, m.periodKey)) ?? 0) +
            this.unwritten(m.tokenId, m.periodKey),
        );
      }
    }
    return used;
  }

  /** Writes every count not yet written (also run every QUOTA_FLUSH_MS and at shutdown). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private add(tokenId: string, periodKey: string): void {
    const key = pendingKey(tokenId, periodKey);
    const entry = this.pending.get(key);
    if (entry) {
      entry.count++;
    } else {
      this.pending.set(key, { tokenId, periodKey, count: 1 });
    }
  }

  private unwritten(tokenId: string, periodKey: string): number {
    return this.pending.get(pendingKey(tokenId, periodKey))?.count ?? 0;
  }

  /** The persisted count of a period plus what this instance has counted but not written. */
  private async persisted(tokenId: string, periodKey: string): Promise<number> {
    const stored = await this.persistedMany([{ tokenId, periodKey }]);
    return (stored.get(pendingKey(tokenId, periodKey)) ?? 0) + this.unwritten(tokenId, periodKey);
  }

  private async persistedMany(
    keys: ReadonlyArray<{ tokenId: string; periodKey: string }>,
  ): Promise<Map<string, number>> {
    const rows = await this.dataSource.query<
      Array<{ token_id: string; period_key: string; used: number | string }>
    >(
      `SELECT token_id, period_key, used FROM token_quota_usage WHERE ${keys
        .map(() => '(token_id = ? AND period_key = ?)')
        .join(' OR ')}`,
      keys.flatMap((k) => [k.tokenId, k.periodKey]),
    );
    return new Map(rows.map((r) => [pendingKey(r.token_id, r.period_key), Number(r.used)]));
  }

  private async writePending(): Promise<void> {
    this.forgetEndedPeriods();
    if (this.pending.size === 0) {
      return;
    }
    if (!this.dataSource.isInitialized) {
      this.logger.warn(
        `Quota counts of ${this.pending.size} token period(s) not written: the database is closed.`,
      );
      return;
    }
    const batch = [...this.pending.values()];
    this.pending = new Map();
    const mysql = this.dataSource.options.type === 'mysql';
    for (let i = 0; i < batch.length; i += ROWS_PER_STATEMENT) {
      const rows = batch.slice(i, i + ROWS_PER_STATEMENT);
      try {
        await this.dataSource.query(
          `INSERT INTO token_quota_usage (token_id, period_key, used) VALUES ${rows
            .map(() => '(?, ?, ?)')
            .join(', ')} ${
            mysql
              ? 'ON DUPLICATE KEY UPDATE used = used + VALUES(used)'
              : 'ON CONFLICT (token_id, period_key) DO UPDATE SET used = used + excluded.used'
          }`,
          rows.flatMap((r) => [r.tokenId, r.periodKey, r.count]),
        );
      } catch (error) {
        // Nothing of this statement was written: keep it and the rest, with anything newer.
        for (const r of batch.slice(i)) {
          const key = pendingKey(r.tokenId, r.periodKey);
          const newer = this.pending.get(key);
          this.pending.set(key, { ...r, count: r.count + (newer?.count ?? 0) });
        }
        this.counters.flushFailures++;
        this.logger.warn(`Could not write quota counts: ${(error as Error).message}`);
        return;
      }
    }
  }

  /** The last counts seen of periods that have ended are of no more use. */
  private forgetEndedPeriods(): void {
    const now = Date.now();
    for (const [key, seen] of this.lastSeen) {
      if (seen.endsAt <= now) {
        this.lastSeen.delete(key);
      }
    }
  }

  private warn(message: string): void {
    if (Date.now() - this.lastWarning > 10_000) {
      this.lastWarning = Date.now();
      this.logger.warn(`${message} (${this.counters.countedLocally} so far).`);
    }
  }
}

function quotaKey(tokenId: string, window: QuotaWindow): string {
  return `quota:${tokenId}:${window.key}`;
}

function pendingKey(tokenId: string, periodKey: string): string {
  return `${tokenId}|${periodKey}`;
}
