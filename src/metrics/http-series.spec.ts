import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { HttpSeries, SeriesHistogram } from './http-series';

const BOUNDS = [0.01, 0.1, 1];

describe('HttpSeries and SeriesHistogram', () => {
  it('count observations per bucket, a value on a bound in that bound’s bucket', () => {
    const series = new HttpSeries('GET', '/x', 200, BOUNDS);
    for (const seconds of [0.001, 0.01, 0.05, 0.1, 0.5, 3]) {
      series.observe(seconds);
    }
    assert.deepEqual([...series.perBucket], [2, 2, 1, 1]);
    assert.equal(series.count, 6);
    assert.ok(Math.abs(series.sum - 3.661) < 1e-9);
  });

  it('expose cumulative buckets, sum and count per (method, route, status), as prom-client writes them', async () => {
    const registry = new Registry();
    const all = [
      new HttpSeries('GET', '/x', 200, BOUNDS),
      new HttpSeries('GET', '/x', 204, BOUNDS),
      new HttpSeries('GET', '/x', 404, BOUNDS),
    ];
    all[0].observe(0.005);
    all[1].observe(0.5);
    all[1].observe(2);
    all[2].observe(0.05);
    new SeriesHistogram(
      { name: 'd_seconds', help: 'Durations.', buckets: BOUNDS, registry },
      () => all,
    );
    const text = await registry.metrics();
    const ok = 'method="GET",route="/x",status="204"';
    for (const line of [
      '# TYPE d_seconds histogram',
      'd_seconds_bucket{le="0.01",method="GET",route="/x",status="200"} 1',
      'd_seconds_count{method="GET",route="/x",status="200"} 1',
      `d_seconds_bucket{le="0.01",${ok}} 0`,
      `d_seconds_bucket{le="0.1",${ok}} 0`,
      `d_seconds_bucket{le="1",${ok}} 1`,
      `d_seconds_bucket{le="+Inf",${ok}} 2`,
      `d_seconds_sum{${ok}} 2.5`,
      `d_seconds_count{${ok}} 2`,
      'd_seconds_bucket{le="0.01",method="GET",route="/x",status="404"} 0',
      'd_seconds_bucket{le="0.1",method="GET",route="/x",status="404"} 1',
      'd_seconds_count{method="GET",route="/x",status="404"} 1',
    ]) {
      assert.ok(text.split('\n').includes(line), `missing: ${line}\n${text}`);
    }
    const json = await registry.getMetricsAsJSON();
    assert.equal(json[0].values.length, 3 * (BOUNDS.length + 3));
  });
});
