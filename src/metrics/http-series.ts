import { Histogram, Registry } from 'prom-client';
import type { MetricType } from 'prom-client';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export function statusClassOf(status: number): string {
  return STATUS_CLASSES[Math.floor(status / 100) - 1] ?? 'other';
}

/**
 * The responses of one (method, route template, status) series, counted in place by the
 * response hook: a count, a sum of seconds and a count per histogram bucket. prom-client's own
 * `inc` and `observe` build and look up a label string on every call (with both, about a tenth
 * of a cached API request's CPU in the bench); these numbers are read only when Prometheus
 * scrapes.
 */
export class HttpSeries {
  count = 0;
  sum = 0;
  /** Observations per bucket, not cumulative; the last slot is past the largest bound. */
  readonly perBucket: Float64Array;

  constructor(
    readonly method: string,
    readonly route: string,
    readonly status: number,
    private readonly bounds: readonly number[],
  ) {
    this.perBucket = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) {
      i++;
    }
    this.perBucket[i]++;
  }
}

type DurationLabel = 'method' | 'route' | 'status_class';

// prom-client's typings declare MetricType as a numeric enum that its code does not define; a
// metric's type is the string itself.
const HISTOGRAM = 'histogram' as unknown as MetricType;
type Snapshot = Awaited<ReturnType<Histogram<DurationLabel>['get']>>;
type SnapshotValue = Snapshot['values'][number];

/**
 * A prom-client histogram whose values are the HttpSeries' (summed per status class), read at
 * scrape time. The registry, the exposition format and the HELP and TYPE lines stay
 * prom-client's; only the recording is ours.
 */
export class SeriesHistogram extends Histogram<DurationLabel> {
  private readonly bounds: readonly number[];

  constructor(
    private readonly config: { name: string; help: string; buckets: number[]; registry: Registry },
    private readonly source: () => Iterable<HttpSeries>,
  ) {
    super({
      name: config.name,
      help: config.help,
      buckets: config.buckets,
      labelNames: ['method', 'route', 'status_class'],
      registers: [config.registry],
    });
    this.bounds = [...config.buckets];
  }

  override get(): Promise<Snapshot> {
    return Promise.resolve(this.snapshot());
  }

  /** What the registry reads for the text exposition (it calls this when a metric has it). */
  getForPromString(): Promise<Snapshot> {
    return Promise.resolve(this.snapshot());
  }

  private snapshot(): Snapshot {
    const { name, help } = this.config;
    const groups = new Map<
      string,
      { labels: Record<DurationLabel, string>; series: HttpSeries[] }
    >();
    for (const series of this.source()) {
      const labels = {
        method: series.method,
        route: series.route,
        status_class: statusClassOf(series.status),
      };
      const key = `${labels.method} ${labels.route} ${labels.status_class}`;
      const group = groups.get(key);
      if (group) {
        group.series.push(series);
      } else {
        groups.set(key, { labels, series: [series] });
      }
    }
    const values: SnapshotValue[] = [];
    for (const { labels, series } of groups.values()) {
      const perBucket = new Array<number>(this.bounds.length + 1).fill(0);
      let sum = 0;
      for (const one of series) {
        sum += one.sum;
        one.perBucket.forEach((n, i) => (perBucket[i] += n));
      }
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += perBucket[i];
        values.push(bucket(name, bound, labels, cumulative));
      });
      const count = cumulative + perBucket[this.bounds.length];
      values.push(
        bucket(name, '+Inf', labels, count),
        { metricName: `${name}_sum`, labels, value: sum },
        { metricName: `${name}_count`, labels, value: count },
      );
    }
    return {
      name,
      help,
      type: HISTOGRAM,
      values,
      aggregator: 'sum',
      collect: () => undefined,
    };
  }
}

function bucket(
  name: string,
  le: number | string,
  labels: Record<DurationLabel, string>,
  value: number,
): SnapshotValue {
  // `le` first, as prom-client writes its own histograms.
  return { metricName: `${name}_bucket`, labels: { le, ...labels }, value } as SnapshotValue;
}
