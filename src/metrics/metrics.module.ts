import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MailModule } from '../mail/mail.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { MetricsController } from './metrics.controller';
import { Metrics } from './metrics.service';

/**
 * Prometheus metrics (SPEC §11.7). `Metrics` is always provided (global) so that any feature can
 * record through it; its methods do nothing unless METRICS_ENABLED=true. The route exists only
 * when metrics are enabled.
 */
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      imports: [WebhooksModule, MailModule],
      controllers: config.metrics.enabled ? [MetricsController] : [],
      providers: [Metrics],
      exports: [Metrics],
    };
  }
}
