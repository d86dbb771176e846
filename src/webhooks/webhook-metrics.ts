import { Injectable } from '@nestjs/common';

export interface WebhookOutcomes {
  /** Attempts answered with a 2xx. */
  delivered: number;
  /** Failed attempts that will be retried. */
  retried: number;
  /** Deliveries given up after their last attempt. */
  failed: number;
  /** Attempts not made because the target's address is not allowed (counted in retried/failed too). */
  refused_address: number;
}

/**
 * In-process counts of delivery outcomes since the start, for the metrics endpoint (SPEC §11.7)
 * to read; never labelled by webhook, workspace or address.
 */
@Injectable()
export class WebhookMetrics {
  private readonly counts: WebhookOutcomes = {
    delivered: 0,
    retried: 0,
    failed: 0,
    refused_address: 0,
  };

  count(outcome: keyof WebhookOutcomes): void {
    this.counts[outcome] += 1;
  }

  snapshot(): WebhookOutcomes {
    return { ...this.counts };
  }
}
