import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { LifecycleEvent } from '../../src/events/entities/lifecycle-event.entity';
import { WebhookDelivery } from '../../src/webhooks/entities/webhook-delivery.entity';
import { Webhook } from '../../src/webhooks/entities/webhook.entity';
import { createUser, createWorkspace } from '../support/factories';
import { sleep } from '../support/net';
import { Scheduler } from '../../src/scheduler/scheduler.service';
import { startTestApp, TestApp } from '../support/test-app';

// The outbox does not grow for ever: events handed out and deliveries finished, older than
// OUTBOX_RETENTION_DAYS, are deleted by a scheduled job; nothing still to be done is.

const DAY_MS = 86_400_000;

describe('Outbox retention', { timeout: 60_000 }, () => {
  let t: TestApp;

  before(async () => {
    // The webhook worker's first round comes after a minute: it does not touch these rows.
    t = await startTestApp({
      env: {
        SCHEDULER_INTERVAL_SECONDS: '1',
        WEBHOOK_POLL_MS: '60000',
        OUTBOX_RETENTION_DAYS: '30',
      },
    });
  });
  after(() => t.close());

  it('deletes old handed-out events and old finished deliveries, and keeps the rest', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(t, owner, { plan: 'enterprise' });
    const now = Date.now();
    const old = new Date(now - 40 * DAY_MS);
    const recent = new Date(now - 5 * DAY_MS);
    const event = (createdAt: Date, fannedOutAt: Date | null): Partial<LifecycleEvent> => ({
      id: randomUUID(),
      type: 'token.created',
      workspaceId: ws.id,
      data: { token: { id: randomUUID() } },
      createdAt,
      fannedOutAt,
      mailedAt: null,
      mailAttempts: 0,
    });
    const events = {
      oldDone: event(old, old),
      oldPending: event(old, null),
      recentDone: event(recent, recent),
    };
    const eventRepo = t.dataSource.getRepository(LifecycleEvent);
    for (const row of Object.values(events)) {
      await eventRepo.save(eventRepo.create(row));
      // Only the webhook worker writes fanned_out_at (the entity never inserts it).
      if (row.fannedOutAt) {
        await eventRepo.update({ id: row.id }, { fannedOutAt: row.fannedOutAt });
      }
    }
    const webhookId = randomUUID();
    await t.dataSource.getRepository(Webhook).insert({
      id: webhookId,
      workspaceId: ws.id,
      url: 'https://hooks.example.test/tessera',
      events: ['token.created'],
      active: true,
      secret: 'sealed-secret-placeholder',
      createdBy: owner.id,
      createdAt: old,
      updatedAt: old,
    });
    const delivery = (state: 'delivered' | 'failed' | 'pending', createdAt: Date) => ({
      id: randomUUID(),
      webhookId,
      eventId: randomUUID(),
      eventType: 'token.created',
      state,
      attempts: 1,
      nextAttemptAt: state === 'pending' ? new Date(now + DAY_MS) : null,
      lastStatusCode: null,
      lastError: null,
      lastAttemptAt: createdAt,
      deliveredAt: state === 'delivered' ? createdAt : null,
      claimedUntil: null,
      claimedBy: null,
      createdAt,
    });
    const deliveries = {
      oldDelivered: delivery('delivered', old),
      oldFailed: delivery('failed', old),
      oldPending: delivery('pending', old),
      recentDelivered: delivery('delivered', recent),
    };
    for (const row of Object.values(deliveries)) {
      await t.dataSource.getRepository(WebhookDelivery).insert(row as Partial<WebhookDelivery>);
    }

    const exists = async (table: string, id: string | undefined): Promise<boolean> =>
      (await t.dataSource.query<unknown[]>(`SELECT id FROM ${table} WHERE id = ?`, [id])).length >
      0;
    for (let i = 0; i < 50 && (await exists('lifecycle_events', events.oldDone.id)); i += 1) {
      await sleep(100);
    }
    await sleep(1500); // another round
    assert.ok((t.app.get(Scheduler).counters.get('outbox-retention')?.runs ?? 0) >= 2);
    assert.equal(await exists('lifecycle_events', events.oldDone.id), false);
    assert.equal(
      await exists('lifecycle_events', events.oldPending.id),
      true,
      'not handed out yet',
    );
    assert.equal(await exists('lifecycle_events', events.recentDone.id), true);
    assert.equal(await exists('webhook_deliveries', deliveries.oldDelivered.id), false);
    assert.equal(await exists('webhook_deliveries', deliveries.oldFailed.id), false);
    assert.equal(await exists('webhook_deliveries', deliveries.oldPending.id), true, 'still due');
    assert.equal(await exists('webhook_deliveries', deliveries.recentDelivered.id), true);
  });
});
