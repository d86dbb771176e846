import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BatchedWriter } from '../common/batching/batched-writer';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { ApiToken } from './entities/api-token.entity';

interface Use {
  at: Date;
  ip: string;
}

/**
 * Remembers when each token was last used and writes it in batches, off the request path:
 * at most one write per token per flush interval (a minute by default), plus one at shutdown.
 */
@Injectable()
export class TokenUsageRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly writer: BatchedWriter<string, Use>;

  constructor(@InjectDataSource() dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    this.writer = new BatchedWriter<string, Use>({
      what: 'token usage',
      intervalMs: config.tokenUsageFlushMs,
      merge: (_older, newer) => newer,
      write: async (id, use) => {
        await dataSource
          .getRepository(ApiToken)
          .update({ id }, { lastUsedAt: use.at, lastUsedIp: use.ip });
      },
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
    this.writer.add(tokenId, { at: new Date(), ip });
  }

  get pendingCount(): number {
    return this.writer.size;
  }

  /** Writes everything pending now (the admin pages show usage as of this moment). */
  flush(): Promise<void> {
    return this.writer.flush();
  }
}
