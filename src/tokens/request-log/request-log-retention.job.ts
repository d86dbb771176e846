import { inBatches } from '../../scheduler/in-batches';
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, APP_CONFIG } from '../../config/app-config';
import { Scheduler, ScheduledJob } from '../../scheduler/scheduler.service';
import { RequestLogStore } from './request-log.store';

const DAY_MS = 86_400_000;
const BATCH = 5000;
const MAX_BATCHES = 20;
/** Tokens checked against the per-token cap per run (the next run goes on after the last). */
const TOKENS_PER_RUN = 200;
/** Tokens whose addresses are trimmed to the newest five per statement. */
const ADDRESS_TOKENS = 500;
/** Daily counts are kept this long (the usage chart asks for at most 365 days). */
export const USAGE_RETENTION_DAYS = 400;

/**
 * Keeps the request log within TOKEN_REQUEST_LOG_DAYS and TOKEN_REQUEST_LOG_MAX_PER_TOKEN
 * entries per token, and the daily counts within 400 days, in bounded batches per run (at
 * most 100,000 rows of each kind). Tokens that may be over the cap are found from the daily
 * counts (more requests in the retention window than the cap), not by counting the log. It
 * also trims each token's addresses to the newest five.
 * Deletes are idempotent, so the scheduler's lease is all the coordination it needs.
 */
@Injectable()
export class RequestLogRetentionJob implements ScheduledJob {
  readonly name = 'request-log-retention';
  private cursor = '';

  constructor(
    private readonly store: RequestLogStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    scheduler: Scheduler,
  ) {
    scheduler.register(this);
  }

  async run(now: Date): Promise<number> {
    const { days, maxPerToken } = this.config.requestLog;
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    let deleted = await inBatches(
      () => this.store.deleteOlderThan(cutoff, BATCH),
      BATCH,
      MAX_BATCHES,
    );

    const firstDay = cutoff.toISOString().slice(0, 10);
    const tokens = await this.store.tokensOverCap(
      firstDay,
      maxPerToken,
      this.cursor,
      TOKENS_PER_RUN,
    );
    this.cursor = tokens.length === TOKENS_PER_RUN ? tokens[tokens.length - 1] : '';
    // One budget for all of them: a run deletes at most MAX_BATCHES × BATCH rows over the cap.
    let budget = MAX_BATCHES;
    for (const tokenId of tokens) {
      for (; budget > 0; budget -= 1) {
        const n = await this.store.trimToken(tokenId, maxPerToken, BATCH);
        deleted += n;
        if (n < BATCH) {
          break;
        }
      }
      if (budget <= 0) {
        this.cursor = ''; // start over next run; the tokens not reached are still over the cap
        break;
      }
    }

    // Each token's newest five addresses are kept (SPEC §11.2 last_used_ips), up to
    // MAX_BATCHES × ADDRESS_TOKENS tokens per run.
    for (let i = 0; i < MAX_BATCHES; i += 1) {
      const n = await this.store.pruneAddresses(ADDRESS_TOKENS);
      deleted += n;
      if (n === 0) {
        break;
      }
    }

    const usageCutoff = new Date(now.getTime() - USAGE_RETENTION_DAYS * DAY_MS);
    deleted += await inBatches(
      () => this.store.deleteUsageBefore(usageCutoff.toISOString().slice(0, 10), BATCH),
      BATCH,
      MAX_BATCHES,
    );
    return deleted;
  }
}
