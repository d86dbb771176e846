import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { BatchedWriter } from '../common/batching/batched-writer';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { LegacyAuthUsage } from './entities/legacy-auth-usage.entity';

interface PendingUse {
  count: number;
  first: Date;
  last: Date;
  ip: string;
  userAgent: string | null;
}

const AUDIT_EVERY_MS = 60 * 60_000;

/**
 * Counts X-AUTH-* uses per user in memory and adds them to legacy_auth_usage in batches, so a
 * legacy request costs no database write. The admin report flushes first, so it is never stale.
 * Each user's legacy use also lands in the audit log, at most once an hour.
 */
@Injectable()
export class LegacyUsageRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LegacyUsageRecorder.name);
  private readonly lastAudited = new Map<string, number>();
  private readonly writer: BatchedWriter<string, PendingUse>;

  constructor(
    private readonly db: DatabaseService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.writer = new BatchedWriter<string, PendingUse>({
      what: 'legacy API password use',
      intervalMs: config.tokenUsageFlushMs,
      merge: (older, newer) => ({ ...newer, count: older.count + newer.count, first: older.first }),
      write: (userId, use) => this.write(userId, use),
      isOpen: () => db.dataSource.isInitialized,
      logger: this.logger,
    });
  }

  onModuleInit(): void {
    this.writer.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.writer.stop();
  }

  record(userId: string, ip: string, userAgent: string | undefined): void {
    const now = new Date();
    const agent = userAgent?.slice(0, 255) ?? null;
    this.writer.add(userId, { count: 1, first: now, last: now, ip, userAgent: agent });
  }

  /** Writes everything pending now (the admin report is never stale). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  private async write(userId: string, use: PendingUse): Promise<void> {
    await this.db.transaction(async (m) => {
      const existing = await this.db.lockForUpdate(m, LegacyAuthUsage, userId, 'userId');
      if (existing) {
        await m.update(
          LegacyAuthUsage,
          { userId },
          {
            useCount: existing.useCount + use.count,
            lastUsedAt: use.last,
            lastIp: use.ip,
            lastUserAgent: use.userAgent,
          },
        );
      } else {
        await m.insert(LegacyAuthUsage, {
          userId,
          useCount: use.count,
          firstUsedAt: use.first,
          lastUsedAt: use.last,
          lastIp: use.ip,
          lastUserAgent: use.userAgent,
        });
      }
    });
    // The count is written: a failed audit entry must not put it back in the queue.
    await this.auditHourly(userId, use).catch((error: Error) =>
      this.logger.warn(`Could not audit legacy API password use: ${error.message}`),
    );
  }

  private async auditHourly(userId: string, use: PendingUse): Promise<void> {
    const last = this.lastAudited.get(userId) ?? 0;
    if (use.last.getTime() - last < AUDIT_EVERY_MS) {
      return;
    }
    this.lastAudited.set(userId, use.last.getTime());
    await this.audit.record({
      action: 'auth.legacy_used',
      actor: null,
      targetType: 'user',
      targetId: userId,
      ip: use.ip,
      userAgent: use.userAgent,
      metadata: { uses_since_last_event: use.count },
    });
  }
}
