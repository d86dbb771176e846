import { Histogram, Registry } from 'prom-client';
import type { MetricType } from 'prom-client';

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

type DurationLabel = 'method' | 'route' | 'status';

// prom-client's typings declare MetricType as a numeric enum that its code does not define; a
// metric's type is the string itself.
const HISTOGRAM = 'histogram' as unknown as MetricType;
type Snapshot = Awaited<ReturnType<Histogram<DurationLabel>['get']>>;
type SnapshotValue = Snapshot['values'][number];

/**
 * A prom-client histogram whose values are the HttpSeries', one per (method, route template,
 * status) as SPEC §11.7 asks, read at scrape time. The registry, the exposition format and the HELP and TYPE lines stay
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
      labelNames: ['method', 'route', 'status'],
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
    const values: SnapshotValue[] = [];
    for (const series of this.source()) {
      const labels = { method: series.method, route: series.route, status: String(series.status) };
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.perBucket[i];
        values.push(bucket(name, bound, labels, cumulative));
      });
      const count = cumulative + series.perBucket[this.bounds.length];
      values.push(
        bucket(name, '+Inf', labels, count),
        { metricName: `${name}_sum`, labels, value: series.sum },
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
