import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { Inject } from '@nestjs/common';
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
  private readonly logger = new Logger(TokenUsageRecorder.name);
  private pending = new Map<string, Use>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.tokenUsageFlushMs);
    this.timer.unref();
  }

  record(tokenId: string, ip: string): void {
    this.pending.set(tokenId, { at: new Date(), ip });
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Writes everything pending; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) {
      return;
    }
    if (!this.dataSource.isInitialized) {
      // The shutdown flush runs before the (global) TypeORM module closes the DataSource;
      // landing here means that order broke, so say what was lost instead of dropping it quietly.
      this.logger.warn(
        `Token usage of ${this.pending.size} token(s) not written: the database is already closed.`,
      );
      return;
    }
    const batch = this.pending;
    this.pending = new Map();
    try {
      const repo = this.dataSource.getRepository(ApiToken);
      for (const [id, use] of batch) {
        await repo.update({ id }, { lastUsedAt: use.at, lastUsedIp: use.ip });
      }
    } catch (error) {
      // Keep what failed for the next round unless a newer use replaced it.
      for (const [id, use] of batch) {
        if (!this.pending.has(id)) {
          this.pending.set(id, use);
        }
      }
      this.logger.warn(`Could not record token usage: ${(error as Error).message}`);
    }
  }
}
