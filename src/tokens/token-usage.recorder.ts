import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BatchedWriter } from '../common/batching/batched-writer';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { ApiToken } from './entities/api-token.entity';

interface Use {
  /** Epoch milliseconds: one of these waits per token used until the flush (a Date is 6× the size). */
  at: number;
  ip: string;
}

/** `last_used_at`/`last_used_ip` of many tokens in one statement (CASE by id). */
async function writeLastUses(
  dataSource: DataSource,
  batch: ReadonlyArray<readonly [string, Use]>,
): Promise<void> {
  const metadata = dataSource.getMetadata(ApiToken);
  const atColumn = metadata.findColumnWithPropertyName('lastUsedAt');
  if (!atColumn) {
    throw new Error('api_tokens.last_used_at is not mapped');
  }
  // The driver's own form of a date (DATETIME(3) on MySQL, UTC text on SQLite).
  const stored = (at: number): unknown =>
    dataSource.driver.preparePersistentValue(new Date(at), atColumn);
  const cases = batch.map(() => 'WHEN ? THEN ?').join(' ');
  await dataSource.query(
    `UPDATE api_tokens SET last_used_at = CASE id ${cases} END, last_used_ip = CASE id ${cases} END WHERE id IN (${batch
      .map(() => '?')
      .join(', ')})`,
    [
      ...batch.flatMap(([id, use]) => [id, stored(use.at)]),
      ...batch.flatMap(([id, use]) => [id, use.ip]),
      ...batch.map(([id]) => id),
    ],
  );
}

/**
 * Remembers when each token was last used and writes it in batches, off the request path:
 * at most one write per token per flush interval (a minute by default), plus one at shutdown;
 * sooner once 10,000 tokens wait.
 */
@Injectable()
export class TokenUsageRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly writer: BatchedWriter<string, Use>;

  constructor(@InjectDataSource() dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    this.writer = new BatchedWriter<string, Use>({
      what: 'token usage',
      intervalMs: config.tokenUsageFlushMs,
      merge: (_older, newer) => newer,
      // One UPDATE per 500 tokens: a flush after 100,000 tokens were used is 200 statements.
      writeBatch: (batch) => writeLastUses(dataSource, batch),
      batchSize: 500,
      // With many tokens in use, an early flush every 10,000 of them bounds what waits in memory
      // (issue 16: peak RSS with 100,000 tokens): 20 statements each.
      flushAtSize: 10_000,
      isOpen: () => dataSource.isInitialized,
      logger: new Logger(TokenUsageRecorder.name),
    });
  }

  onModuleInit(): void {
    this.writer.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.writer.stop();
  }

  record(tokenId: string, ip: string): void {
    this.writer.add(tokenId, { at: Date.now(), ip });
  }

  get pendingCount(): number {
    return this.writer.size;
  }

  /** Writes everything pending now (the admin pages show usage as of this moment). */
  flush(): Promise<void> {
    return this.writer.flush();
  }
}
