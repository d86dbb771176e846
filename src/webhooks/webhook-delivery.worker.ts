import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { IsNull, LessThanOrEqual } from 'typeorm';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { LifecycleEvent } from '../events/entities/lifecycle-event.entity';
import { AtRestEncryption } from '../settings/at-rest-encryption.service';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { Webhook } from './entities/webhook.entity';
import { resolveTarget, TargetRefused } from './webhook-address';
import { WebhookMetrics } from './webhook-metrics';
import { retryDelayMs } from './webhook-retry';
import { AttemptResult, postOnce } from './webhook-sender';
import { signatureHeader } from './webhook-signature';
import { withPassword } from './webhook-url';
import { openStoredUrl, webhookSecretPurpose } from './webhooks.service';

/** Events fanned out per tick, and deliveries attempted per tick (at once): bounded memory. */
const FAN_OUT_BATCH = 100;
const DELIVERY_BATCH = 10;
/** A claim outlives one attempt (its timeout) by this much; then another instance may retry. */
const CLAIM_MARGIN_MS = 30_000;

/**
 * The webhook delivery worker (SPEC §11.4), one loop per instance, off the request path:
 * 1. fans new lifecycle events out into deliveries, each event once: its `fanned_out_at` is set
 *    by a conditional update in the transaction that inserts its deliveries, so of two
 *    instances one fans it out and the other updates nothing;
 * 2. claims due deliveries by a conditional update of their lease (`claimed_until`), POSTs
 *    them, and records the outcome: delivered, retried later with back-off, or failed.
 * On shutdown the loop stops and an attempt in flight is finished and recorded (at most the
 * 10 s timeout); a process killed mid-attempt leaves a claim that expires, and the delivery is
 * attempted again: at least once, never lost.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookDeliveryWorker');
  private readonly instanceId = `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private tickInFlight: Promise<void> | null = null;
  private stopped = false;
  private failing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DatabaseService,
    private readonly atRest: AtRestEncryption,
    private readonly metrics: WebhookMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(this.config.webhooks.pollMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tickInFlight;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) {
      return;
    }
    this.timer = setTimeout(() => {
      this.tickInFlight = this.tick()
        .then(
          (busy) => {
            if (this.failing) {
              this.failing = false;
              this.logger.log('Webhook deliveries resumed.');
            }
            return busy;
          },
          (error: unknown) => {
            // Once per outage (the database gone, say), not once per poll.
            if (!this.failing) {
              this.failing = true;
              this.logger.warn(
                `Webhook deliveries paused: ${(error as Error).message}; retrying every poll.`,
              );
            }
            return false;
          },
        )
        .then((busy) => {
          this.tickInFlight = null;
          // A full batch means more is waiting: go on at once rather than a poll later.
          this.schedule(busy ? 0 : this.config.webhooks.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One round; true when a batch was full (more may be waiting). */
  async tick(): Promise<boolean> {
    const fannedOut = await this.fanOut();
    if (this.stopped) {
      return false;
    }
    const attempted = await this.deliverDue();
    return fannedOut >= FAN_OUT_BATCH || attempted >= DELIVERY_BATCH;
  }

  // --- 1. Fan-out ---

  private async fanOut(): Promise<number> {
    const events = await this.db.dataSource.getRepository(LifecycleEvent).find({
      where: { fannedOutAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: FAN_OUT_BATCH,
    });
    let done = 0;
    for (const event of events) {
      if (this.stopped || !this.db.sqliteWriteLockFree()) {
        break; // the rest next round
      }
      await this.fanOutOne(event);
      done += 1;
    }
    return done;
  }

  private async fanOutOne(event: LifecycleEvent): Promise<void> {
    await this.db.transaction(async (m) => {
      const now = new Date();
      const claimed = await m.update(
        LifecycleEvent,
        { id: event.id, fannedOutAt: IsNull() },
        { fannedOutAt: now },
      );
      if (claimed.affected !== 1 || event.workspaceId === null) {
        return;
      }
      // Webhooks made after the event was recorded did not exist when it happened.
      const webhooks = await m.find(Webhook, {
        where: {
          workspaceId: event.workspaceId,
          active: true,
          createdAt: LessThanOrEqual(event.createdAt),
        },
      });
      const rows = webhooks
        .filter((w) => w.events.includes(event.type))
        .map((w) => ({
          id: randomUUID(),
          webhookId: w.id,
          eventId: event.id,
          eventType: event.type,
          state: 'pending' as const,
          attempts: 0,
          nextAttemptAt: now,
          lastStatusCode: null,
          lastError: null,
          lastAttemptAt: null,
          deliveredAt: null,
          claimedUntil: null,
          claimedBy: null,
          createdAt: now,
        }));
      if (rows.length > 0) {
        // The unique (webhook_id, event_id) index is the second guard against a double fan-out.
        await m
          .createQueryBuilder()
          .insert()
          .into(WebhookDelivery)
          .values(rows)
          .orIgnore()
          .execute();
      }
    });
  }

  // --- 2. Deliveries ---

  private async deliverDue(): Promise<number> {
    const now = new Date();
    const due = await this.db.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      .select('d.id', 'id')
      .innerJoin(Webhook, 'w', 'w.id = d.webhook_id')
      .where('d.state = :pending', { pending: 'pending' })
      .andWhere('d.next_attempt_at <= :now', { now })
      .andWhere('(d.claimed_until IS NULL OR d.claimed_until < :now)', { now })
      .andWhere('w.active = :active', { active: true })
      .orderBy('d.next_attempt_at', 'ASC')
      .limit(DELIVERY_BATCH)
      .getRawMany<{ id: string }>();
    const claimed: WebhookDelivery[] = [];
    for (const { id } of due) {
      if (!this.db.sqliteWriteLockFree()) {
        break; // the rest next round
      }
      const delivery = await this.claim(id);
      if (delivery) {
        claimed.push(delivery);
      }
    }
    await Promise.all(claimed.map((d) => this.attempt(d)));
    return claimed.length;
  }

  /** Takes the lease on a due delivery; null when another instance holds it or it is not due. */
  private claim(id: string): Promise<WebhookDelivery | null> {
    return this.db.transaction(async (m) => {
      const now = new Date();
      const result = await m
        .createQueryBuilder()
        .update(WebhookDelivery)
        .set({
          claimedUntil: new Date(now.getTime() + this.config.webhooks.timeoutMs + CLAIM_MARGIN_MS),
          claimedBy: this.instanceId,
        })
        .where('id = :id', { id })
        .andWhere('state = :pending', { pending: 'pending' })
        .andWhere('next_attempt_at <= :now', { now })
        .andWhere('(claimed_until IS NULL OR claimed_until < :now)', { now })
        .execute();
      if (result.affected !== 1) {
        return null;
      }
      return m.findOne(WebhookDelivery, { where: { id } });
    });
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const repo = this.db.dataSource.getRepository(Webhook);
    const webhook = await repo
      .createQueryBuilder('w')
      .addSelect('w.secret')
      .where('w.id = :id', { id: delivery.webhookId })
      .getOne();
    if (!webhook) {
      return; // deleted meanwhile, its deliveries with it
    }
    const event = await this.db.dataSource
      .getRepository(LifecycleEvent)
      .findOne({ where: { id: delivery.eventId } });
    let result: AttemptResult;
    if (!event) {
      result = { statusCode: null, error: 'the event no longer exists' };
    } else {
      result = await this.send(webhook, event);
    }
    await this.record(delivery, result);
  }

  private async send(webhook: Webhook, event: LifecycleEvent): Promise<AttemptResult> {
    const box = await this.atRest.box();
    // The URL's password is stored sealed, apart; the request sends it as Basic credentials.
    const stored = openStoredUrl(webhook, box);
    const url =
      stored.password === null ? new URL(stored.url) : withPassword(stored.url, stored.password);
    let target;
    try {
      // Checked again at every attempt, and connected to as checked (DNS rebinding).
      target = await resolveTarget(url, this.config.webhooks.allowPrivate);
    } catch (error) {
      if (error instanceof TargetRefused) {
        this.metrics.count('refused_address');
        return { statusCode: null, error: `address not allowed: ${error.message}` };
      }
      throw error;
    }
    const secret = box.open(webhook.secret, webhookSecretPurpose(webhook.id));
    const body = JSON.stringify({
      id: event.id,
      type: event.type,
      created_at: event.createdAt.toISOString(),
      workspace_id: event.workspaceId,
      data: event.data,
    });
    const timestamp = Math.floor(Date.now() / 1000);
    return postOnce(
      url,
      target,
      {
        'Content-Type': 'application/json',
        'User-Agent': 'Tessera-Webhooks/1',
        'Tessera-Event': event.type,
        'Tessera-Event-Id': event.id,
        'Tessera-Signature': signatureHeader(secret, timestamp, body),
      },
      body,
      this.config.webhooks.timeoutMs,
    );
  }

  /** Records the attempt and releases the lease (only if it is still ours). */
  private async record(delivery: WebhookDelivery, result: AttemptResult): Promise<void> {
    const now = new Date();
    const attempts = delivery.attempts + 1;
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const { maxAttempts, retryBaseMs } = this.config.webhooks;
    const outcome = ok ? 'delivered' : attempts >= maxAttempts ? 'failed' : 'retried';
    this.metrics.count(outcome);
    const error =
      result.error ?? (ok ? null : `the receiver answered ${String(result.statusCode)}`);
    await this.db.transaction((m) =>
      m.update(
        WebhookDelivery,
        { id: delivery.id, claimedBy: this.instanceId },
        {
          attempts,
          state: outcome === 'retried' ? 'pending' : outcome,
          lastStatusCode: result.statusCode,
          lastError: error ? error.slice(0, 500) : null,
          lastAttemptAt: now,
          deliveredAt: ok ? now : null,
          nextAttemptAt:
            outcome === 'retried'
              ? new Date(now.getTime() + retryDelayMs(attempts, retryBaseMs))
              : null,
          claimedUntil: null,
          claimedBy: null,
        },
      ),
    );
  }
}
