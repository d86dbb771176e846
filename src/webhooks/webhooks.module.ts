import { LifecycleEvent } from '../events/entities/lifecycle-event.entity';
import { OutboxRetentionJob } from './outbox-retention.job';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { Webhook } from './entities/webhook.entity';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookUrlPasswordUpgrade } from './webhook-url-password.upgrade';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Webhooks and their delivery worker (SPEC §11.4). */
@Module({
  imports: [TypeOrmModule.forFeature([Webhook, WebhookDelivery, LifecycleEvent])],
  controllers: [WebhooksController],
  providers: [
    WebhooksService,
    WebhookDeliveryWorker,
    WebhookMetrics,
    OutboxRetentionJob,
    WebhookUrlPasswordUpgrade,
  ],
  exports: [WebhooksService, WebhookMetrics],
})
export class WebhooksModule {}
