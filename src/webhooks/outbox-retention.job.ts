import { inBatches } from '../scheduler/in-batches';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, LessThan, Not, Repository } from 'typeorm';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { LifecycleEvent } from '../events/entities/lifecycle-event.entity';
import { Scheduler, ScheduledJob } from '../scheduler/scheduler.service';
import { WebhookDelivery } from './entities/webhook-delivery.entity';

const DAY_MS = 86_400_000;
const BATCH = 1000;
const MAX_BATCHES = 20;

/**
 * Keeps the outbox from growing for ever: lifecycle events and finished webhook deliveries
 * (delivered or given up) older than OUTBOX_RETENTION_DAYS are deleted, in bounded batches per
 * run. Events not yet handed out to webhooks, and pending deliveries, are never deleted.
 */
@Injectable()
export class OutboxRetentionJob implements ScheduledJob {
  readonly name = 'outbox-retention';

  constructor(
    @InjectRepository(LifecycleEvent) private readonly events: Repository<LifecycleEvent>,
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    scheduler: Scheduler,
  ) {
    scheduler.register(this);
  }

  async run(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.outboxRetentionDays * DAY_MS);
    let deleted = 0;
    deleted += await inBatches(
      async () => {
        const old = await this.deliveries.find({
          select: { id: true },
          where: { createdAt: LessThan(cutoff), state: In(['delivered', 'failed']) },
          take: BATCH,
        });
        if (old.length > 0) {
          await this.deliveries.delete({ id: In(old.map((d) => d.id)) });
        }
        return old.length;
      },
      BATCH,
      MAX_BATCHES,
    );
    deleted += await inBatches(
      async () => {
        const old = await this.events.find({
          select: { id: true },
          where: { createdAt: LessThan(cutoff), fannedOutAt: Not(IsNull()) },
          take: BATCH,
        });
        if (old.length > 0) {
          await this.events.delete({ id: In(old.map((e) => e.id)) });
        }
        return old.length;
      },
      BATCH,
      MAX_BATCHES,
    );
    return deleted;
  }
}
