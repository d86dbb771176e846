import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
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
  private pending = new Map<string, PendingUse>();
  private readonly lastAudited = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: DatabaseService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.tokenUsageFlushMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  record(userId: string, ip: string, userAgent: string | undefined): void {
    const now = new Date();
    const use = this.pending.get(userId);
    const agent = userAgent?.slice(0, 255) ?? null;
    if (use) {
      use.count += 1;
      use.last = now;
      use.ip = ip;
      use.userAgent = agent;
    } else {
      this.pending.set(userId, { count: 1, first: now, last: now, ip, userAgent: agent });
    }
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) {
      return;
    }
    if (!this.db.dataSource.isInitialized) {
      // As in TokenUsageRecorder: the shutdown flush must run before the DataSource closes.
      this.logger.warn(
        `Legacy API password use of ${this.pending.size} user(s) not written: the database is already closed.`,
      );
      return;
    }
    const batch = this.pending;
    this.pending = new Map();
    try {
      for (const [userId, use] of batch) {
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
        await this.auditHourly(userId, use);
      }
    } catch (error) {
      for (const [userId, use] of batch) {
        const newer = this.pending.get(userId);
        this.pending.set(
          userId,
          newer ? { ...newer, count: newer.count + use.count, first: use.first } : use,
        );
      }
      this.logger.warn(`Could not record legacy API password use: ${(error as Error).message}`);
    }
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
