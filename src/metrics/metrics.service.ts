import { Inject, Injectable } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { HttpSeries, SeriesHistogram } from './http-series';
import { notedErrorCode } from '../common/http/error-code';
import { errorCodeOf, presentedKind } from './auth-outcome';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { TokenMailJob } from '../mail/token-mail.job';
import { Scheduler } from '../scheduler/scheduler.service';
import { WebhookMetrics } from '../webhooks/webhook-metrics';

/** What accounting can drop under load (a full buffer, a store that does not answer). */
export type AccountingDropKind = 'request_log' | 'quota' | 'usage';
const ACCOUNTING_DROP_KINDS: readonly AccountingDropKind[] = ['request_log', 'quota', 'usage'];

/**
 * The refusals counted by code in tessera_request_refusals_total; any other error code is not
 * a refusal of policy (auth failures have their own counter, 4xx/5xx are in the request counter).
 */
export const REFUSAL_CODES: ReadonlySet<string> = new Set([
  'rate_limited',
  'quota_exceeded',
  'ip_not_allowed',
  'project_not_allowed',
  'policy_violation',
  'insufficient_scope',
  'workspace_forbidden',
  'api_disabled',
]);

const METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]);

/** The route label of a request that matched no route (a 404): never its raw path. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Seconds; Tessera answers most requests in about a millisecond, so the low end is fine. */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Prometheus metrics (SPEC §11.7), on a registry of this application's own (not prom-client's
 * global one, so that several apps in one process do not share series). Every label has a
 * bounded set of values: route templates, methods, status codes, auth methods and error codes,
 * job names and outcomes; never a token, user, address or raw path.
 *
 * Other code records through the typed methods below; each is a no-op (one boolean check) when
 * METRICS_ENABLED is not true.
 */
@Injectable()
export class Metrics {
  readonly enabled: boolean;
  private readonly registry: Registry;
  /** Every (method, route, status) series answered so far; read at scrape time. */
  private readonly allSeries: HttpSeries[] = [];
  /** Authentication decisions by method and code, counted in place like the HTTP series. */
  private readonly authCounts = new Map<string, Map<string, { n: number }>>();
  private readonly refusals: Counter<'code'>;
  private readonly accountingDrops: Counter<'kind'>;
  private readonly quotaLocal: Counter;
  /** route → method → status → the label objects, built once per combination. */
  private readonly series = new Map<string, Map<string, Map<number, HttpSeries>>>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    webhooks: WebhookMetrics,
    scheduler: Scheduler,
    mail: TokenMailJob,
  ) {
    this.enabled = config.metrics.enabled;
    this.registry = new Registry();
    const registers = [this.registry];
    if (this.enabled) {
      collectDefaultMetrics({ register: this.registry });
    }
    // The per-request metrics are counted in place (HttpSeries, authCounts) and handed to
    // prom-client when it collects.
    const allSeries = this.allSeries;
    const authCounts = this.authCounts;
    new Counter({
      name: 'tessera_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
      collect(): void {
        this.reset();
        for (const { method, route, status, count } of allSeries) {
          this.inc({ method, route, status: String(status) }, count);
        }
      },
    });
    new SeriesHistogram(
      {
        name: 'tessera_http_request_duration_seconds',
        help: 'Time to answer an HTTP request, by method, route template and status class.',
        buckets: DURATION_BUCKETS,
        registry: this.registry,
      },
      () => allSeries,
    );
    new Counter({
      name: 'tessera_auth_outcomes_total',
      help:
        'Authentication decisions on API routes: method is the principal’s auth method on ' +
        'success, the kind of credential presented on failure (none: no credential); code is ' +
        'ok or the refusal’s error code.',
      labelNames: ['method', 'code'],
      registers,
      collect(): void {
        this.reset();
        for (const [method, byCode] of authCounts) {
          for (const [code, { n }] of byCode) {
            this.inc({ method, code }, n);
          }
        }
      },
    });
    this.refusals = new Counter({
      name: 'tessera_request_refusals_total',
      help: 'Requests refused by policy (rate limits, quotas, address and project restrictions…), by error code.',
      labelNames: ['code'],
      registers,
    });
    this.accountingDrops = new Counter({
      name: 'tessera_accounting_dropped_total',
      help: 'Accounting records dropped (buffer full, store unavailable), by kind.',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of ACCOUNTING_DROP_KINDS) {
      this.accountingDrops.inc({ kind }, 0);
    }
    this.quotaLocal = new Counter({
      name: 'tessera_quota_counted_locally_total',
      help: 'Quota requests this instance counted on its own because the shared store (Redis) did not answer; added to it once it answers.',
      registers,
    });
    for (const code of REFUSAL_CODES) {
      this.refusals.inc({ code }, 0);
    }

    // Counters kept by their features (one source of truth), read at each scrape.
    new Counter({
      name: 'tessera_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retried, failed: given up; refused_address is also counted in retried or failed).',
      labelNames: ['outcome'],
      registers,
      collect(): void {
        this.reset();
        const counts = webhooks.snapshot();
        for (const outcome of Object.keys(counts) as Array<keyof typeof counts>) {
          this.inc({ outcome }, counts[outcome]);
        }
      },
    });
    new Counter({
      name: 'tessera_scheduler_runs_total',
      help: 'Scheduled job runs on this instance by job and outcome (ok; skipped: another instance held the lease; failed).',
      labelNames: ['job', 'outcome'],
      registers,
      collect(): void {
        this.reset();
        for (const [job, c] of scheduler.counters) {
          this.inc({ job, outcome: 'ok' }, c.runs);
          this.inc({ job, outcome: 'skipped' }, c.skipped);
          this.inc({ job, outcome: 'failed' }, c.failures);
        }
      },
    });
    new Counter({
      name: 'tessera_scheduler_items_total',
      help: 'Items handled by scheduled job runs on this instance, by job.',
      labelNames: ['job'],
      registers,
      collect(): void {
        this.reset();
        for (const [job, c] of scheduler.counters) {
          this.inc({ job }, c.items);
        }
      },
    });
    new Counter({
      name: 'tessera_mail_messages_total',
      help: 'Token notice e-mails by outcome (sent, failed: will be retried).',
      labelNames: ['outcome'],
      registers,
      collect(): void {
        this.reset();
        this.inc({ outcome: 'sent' }, mail.counters.sent);
        this.inc({ outcome: 'failed' }, mail.counters.failed);
      },
    });
  }

  /** An accounting record (request log row, quota increment, usage update) was dropped. */
  accountingDropped(kind: AccountingDropKind, count = 1): void {
    if (this.enabled && count > 0) {
      this.accountingDrops.inc({ kind }, count);
    }
  }

  /** A quota request counted by this instance alone (Redis did not answer). */
  quotaCountedLocally(): void {
    if (this.enabled) {
      this.quotaLocal.inc();
    }
  }

  /**
   * An authentication decision: `method` is an AuthMethod on success or a credential kind (or
   * `none`) on failure; `code` is `ok` or an ErrorCode. Both come from fixed vocabularies.
   */
  authOutcome(method: string, code: string): void {
    if (this.enabled) {
      this.countAuth(method, code);
    }
  }

  /** A refused authentication: labelled by the kind of credential presented and the code. */
  authFailure(request: FastifyRequest, error: unknown): void {
    if (this.enabled) {
      const code = errorCodeOf(error);
      this.countAuth(presentedKind(request, code), code);
    }
  }

  /** The onResponse hook's work: one request answered (only called when enabled). */
  observeResponse(request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const series = this.seriesFor(
      request.routeOptions.url ?? UNMATCHED_ROUTE,
      METHODS.has(request.method) ? request.method : 'other',
      status,
    );
    series.observe(reply.elapsedTime / 1000);
    const code = notedErrorCode(request);
    if (code !== undefined && REFUSAL_CODES.has(code)) {
      this.refusals.inc({ code });
    }
  }

  /** The Prometheus text exposition of every metric. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private seriesFor(route: string, method: string, status: number): HttpSeries {
    let byMethod = this.series.get(route);
    if (!byMethod) {
      this.series.set(route, (byMethod = new Map<string, Map<number, HttpSeries>>()));
    }
    let byStatus = byMethod.get(method);
    if (!byStatus) {
      byMethod.set(method, (byStatus = new Map<number, HttpSeries>()));
    }
    let series = byStatus.get(status);
    if (!series) {
      series = new HttpSeries(method, route, status, DURATION_BUCKETS);
      byStatus.set(status, series);
      this.allSeries.push(series);
    }
    return series;
  }

  private countAuth(method: string, code: string): void {
    let byCode = this.authCounts.get(method);
    if (!byCode) {
      this.authCounts.set(method, (byCode = new Map<string, { n: number }>()));
    }
    const counter = byCode.get(code);
    if (counter) {
      counter.n++;
    } else {
      byCode.set(code, { n: 1 });
    }
  }
}
