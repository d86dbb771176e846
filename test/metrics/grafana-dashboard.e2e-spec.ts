import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../support/repo-root';
import { startTestApp, TestApp } from '../support/test-app';
import { metricNames, parseExposition, Sample } from './exposition';

interface Target {
  expr: string;
  datasource?: { type?: string; uid?: string };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}

interface Dashboard {
  __inputs: Array<{ name: string; type: string; pluginId: string }>;
  schemaVersion: number;
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query: { query: string } | string }> };
}

// PromQL words that are not metric names: functions and aggregations are followed by "(" and
// dropped on that account; these are the keywords and modifiers.
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/** The metric names an expression reads, and the labels it groups by. */
function readsOf(expr: string): { metrics: string[]; groupBy: string[] } {
  const groupBy = [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, ' ') // matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ') // dashboard variables
    .replace(/\b\d+(?:ms|s|m|h|d|w|y)\b/g, ' ') // durations (offset 5m)
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, ' '); // numbers
  const metrics: string[] = [];
  for (const match of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (!match[2] && !KEYWORDS.has(match[1])) {
      metrics.push(match[1]);
    }
  }
  return { metrics, groupBy };
}

describe('docs/grafana-dashboard.json', () => {
  let t: TestApp;
  let dashboard: Dashboard;
  let samples: Sample[];
  let exposed: Set<string>;

  before(async () => {
    dashboard = JSON.parse(
      readFileSync(join(repoRoot(), 'docs/grafana-dashboard.json'), 'utf8'),
    ) as Dashboard;
    t = await startTestApp({ env: { METRICS_ENABLED: 'true' } });
    // Some traffic, so that the request series (and histogram buckets) exist.
    await t.http().get('/health/live');
    await t.http().get('/api/v1/me');
    samples = parseExposition((await t.http().get('/metrics')).text);
    exposed = metricNames(samples);
  });
  after(() => t.close());

  const targets = (): Array<{ panel: string; expr: string }> =>
    dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((x) => ({ panel: p.title, expr: x.expr })),
    );

  it('is an importable dashboard with a Prometheus data source input', () => {
    assert.ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
    assert.equal(dashboard.uid, 'tessera-overview');
    assert.deepEqual(
      dashboard.__inputs.map((i) => [i.name, i.type, i.pluginId]),
      [['DS_PROMETHEUS', 'datasource', 'prometheus']],
    );
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const panel of dashboard.panels) {
      assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title} is wider than the grid`);
      if (panel.type === 'row') {
        continue;
      }
      assert.equal(panel.datasource?.uid, '${DS_PROMETHEUS}', panel.title);
      assert.ok((panel.targets ?? []).length > 0, `${panel.title} has no query`);
      for (const target of panel.targets ?? []) {
        assert.equal(target.datasource?.uid, '${DS_PROMETHEUS}', panel.title);
      }
    }
  });

  it('reads only metrics that the app exposes, grouped by labels they carry', () => {
    const queries = [
      ...targets(),
      ...dashboard.templating.list.map((v) => ({
        panel: `variable ${v.name}`,
        expr: (typeof v.query === 'string' ? v.query : v.query.query).replace(
          /label_values\(\s*([^,)]+)\s*,\s*\w+\s*\)/,
          '$1',
        ),
      })),
    ];
    assert.ok(queries.length >= 15, `only ${queries.length} queries`);
    for (const { panel, expr } of queries) {
      const { metrics, groupBy } = readsOf(expr);
      assert.ok(metrics.length > 0, `${panel}: no metric in ${expr}`);
      for (const name of metrics) {
        assert.ok(exposed.has(name), `${panel}: ${name} is not exposed by /metrics`);
      }
      const labels = new Set(
        samples.filter((s) => metrics.includes(s.name)).flatMap((s) => Object.keys(s.labels)),
      );
      for (const label of groupBy) {
        // instance and job are added by Prometheus when it scrapes.
        assert.ok(
          labels.has(label) || label === 'instance' || label === 'job',
          `${panel}: groups by ${label}, which ${metrics.join(', ')} do not carry`,
        );
      }
    }
  });

  it('has the panels SPEC §11.7 and issue 16 ask for', () => {
    const all = targets()
      .map((x) => x.expr)
      .join('\n');
    for (const name of [
      'tessera_http_requests_total',
      'tessera_http_request_duration_seconds_bucket',
      'tessera_auth_outcomes_total',
      'tessera_request_refusals_total',
      'tessera_webhook_deliveries_total',
      'tessera_scheduler_runs_total',
      'tessera_accounting_dropped_total',
      'process_resident_memory_bytes',
      'process_cpu_user_seconds_total',
    ]) {
      assert.ok(all.includes(name), `no panel reads ${name}`);
    }
    for (const quantile of ['0.5', '0.95', '0.99']) {
      assert.ok(
        all.includes(`histogram_quantile(${quantile}, sum by (le, route)`),
        `no p${Number(quantile) * 100} latency by route`,
      );
    }
    assert.ok(all.includes('code="rate_limited"') && all.includes('code="quota_exceeded"'));
  });

  it('the expression reader finds what an expression reads (self-check)', () => {
    assert.deepEqual(
      readsOf(
        'sum by (le, route) (rate(a_total{x="b_total"}[5m])) / ignoring(y) b_seconds offset 1m > 0.5',
      ),
      { metrics: ['a_total', 'b_seconds'], groupBy: ['le', 'route'] },
    );
  });
});
