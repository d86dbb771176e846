import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Metrics } from '../../src/metrics/metrics.service';
import { Scheduler } from '../../src/scheduler/scheduler.service';
import { WebhookMetrics } from '../../src/webhooks/webhook-metrics';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
} from '../support/factories';
import { fromAddress } from '../support/net';
import { OAuthBrowser } from '../support/oauth';
import { startTestApp, TestApp } from '../support/test-app';
import { parseExposition, Sample, value } from './exposition';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe('Prometheus metrics (SPEC §11.7)', () => {
  describe('with METRICS_ENABLED unset', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp();
    });
    after(() => t.close());

    it('GET /metrics is an unknown route: 404 not_found', async () => {
      assertError(await t.http().get('/metrics'), 404, 'not_found');
      assertError(
        await t.http().get('/metrics').set('Authorization', 'Bearer whatever-it-is'),
        404,
        'not_found',
      );
    });

    it('recording is a no-op', async () => {
      const metrics = t.app.get(Metrics);
      assert.equal(metrics.enabled, false);
      metrics.accountingDropped('quota');
      metrics.authOutcome('bearer', 'ok');
      const { body } = await metrics.exposition();
      assert.doesNotMatch(body, /process_cpu/, 'no process metrics are collected when off');
    });
  });

  describe('with METRICS_ENABLED=true and METRICS_TOKEN', () => {
    const metricsToken = randomBytes(24).toString('hex');
    let t: TestApp;
    let user: TestUser;
    let token: TestToken;
    let readOnly: TestToken;
    let fenced: TestToken;
    let samples: Sample[];
    let text: string;

    const scrape = async (): Promise<string> => {
      const res = await t.http().get('/metrics').set('Authorization', `Bearer ${metricsToken}`);
      assert.equal(res.status, 200, res.text);
      return res.text;
    };

    before(async () => {
      t = await startTestApp({ env: { METRICS_ENABLED: 'true', METRICS_TOKEN: metricsToken } });
      user = await createUser(t);
      const workspace = await createWorkspace(t, user);
      token = await createToken(t, user, workspace);
      readOnly = await createToken(t, user, workspace, { scopes: ['read'] });
      const minted = await t
        .http()
        .post('/api/v1/tokens')
        .set('Authorization', user.basic)
        .set('X-Workspace-Id', workspace.id)
        .send({
          name: 'fenced',
          scopes: ['read'],
          expires_in_days: 30,
          allowed_cidrs: ['127.0.0.2'],
        });
      assert.equal(minted.status, 201, JSON.stringify(minted.body));
      fenced = {
        id: minted.body.id as string,
        token: minted.body.token as string,
        bearer: `Bearer ${minted.body.token as string}`,
      };

      // Traffic: good and bad credentials, a route with an id, unknown paths with ids in them,
      // refusals, and two client addresses.
      const http = () => t.http().set('X-Workspace-Id', workspace.id);
      assert.equal(
        (await http().get(`/api/v1/tokens/${token.id}`).set('Authorization', token.bearer)).status,
        200,
      );
      assert.equal(
        (await http().get('/api/v1/tokens/self').set('X-API-Key', token.token)).status,
        200,
      );
      assertError(
        await http().get(`/api/v1/tokens/${randomUUID()}`).set('Authorization', token.bearer),
        404,
        'not_found',
      );
      assertError(
        await http().get('/api/v1/me').set('Authorization', 'Bearer ts_nonsense'),
        401,
        'invalid_token',
      );
      assertError(await http().get('/api/v1/me'), 401, 'missing_credentials');
      assertError(await http().get(`/api/v1/no-such-thing/${randomUUID()}`), 404, 'not_found');
      assertError(await http().get(`/${user.username}/${token.id}`), 404, 'not_found');
      assertError(
        await http().post('/api/v1/tokens').set('Authorization', readOnly.bearer).send({}),
        403,
        'insufficient_scope',
      );
      const fromTwo = await http()
        .get('/api/v1/tokens/self')
        .set('Authorization', fenced.bearer)
        .agent(fromAddress('127.0.0.2'));
      assert.equal(fromTwo.status, 200, JSON.stringify(fromTwo.body));
      assertError(
        await http()
          .get('/api/v1/tokens/self')
          .set('Authorization', fenced.bearer)
          .agent(fromAddress('127.0.0.3')),
        403,
        'ip_not_allowed',
      );
      assertError(
        await http()
          .get('/api/v1/me')
          .set('Authorization', 'Bearer ts_nonsense')
          .agent(fromAddress('127.0.0.3')),
        401,
        'invalid_token',
      );

      // The sign-in form (one wrong password, one right) and the OAuth token endpoint.
      const wrong = await new OAuthBrowser(t).submitLogin({
        username: user.username,
        password: 'not-the-password-1',
      });
      assert.equal(wrong.status, 401, wrong.text);
      const right = await new OAuthBrowser(t).submitLogin(user);
      assert.equal(right.status, 303, right.text);
      const granted = await t.http().post('/oauth/token').type('form').send({
        grant_type: 'authorization_code',
        client_id: 'tsc_nobody00000000000000000',
        client_secret: 'nothing',
        code: 'nothing',
        redirect_uri: 'http://localhost/cb',
      });
      assert.equal(granted.status, 401, JSON.stringify(granted.body));
      assert.equal(granted.body.error, 'invalid_client');

      // Counters kept by other features, read at scrape time.
      t.app.get(WebhookMetrics).count('delivered');
      t.app.get(WebhookMetrics).count('delivered');
      t.app.get(WebhookMetrics).count('failed');
      t.app.get(Metrics).accountingDropped('request_log', 3);
      await t.app.get(Scheduler).tick();

      text = await scrape();
      samples = parseExposition(text);
    });
    after(() => t.close());

    it('refuses a scrape without the token: 401 missing_credentials with a Bearer challenge', async () => {
      const res = await t.http().get('/metrics');
      assertError(res, 401, 'missing_credentials');
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm=/);
    });

    it('refuses a wrong token, another scheme, or the token with something after it: 401 invalid_token', async () => {
      for (const authorization of [
        'Bearer wrong-token-wrong-token',
        `Bearer ${metricsToken}x`,
        `Bearer ${metricsToken.slice(1)}`,
        `Basic ${Buffer.from(`metrics:${metricsToken}`).toString('base64')}`,
        `Bearer ${metricsToken} extra`,
        'Bearer',
      ]) {
        const res = await t.http().get('/metrics').set('Authorization', authorization);
        assertError(res, 401, 'invalid_token');
        assert.match(String(res.headers['www-authenticate']), /error="invalid_token"/);
        assert.doesNotMatch(JSON.stringify(res.body), new RegExp(metricsToken));
      }
    });

    it('serves the Prometheus text format with the right token', async () => {
      const res = await t.http().get('/metrics').set('Authorization', `bearer ${metricsToken}`);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(res.text, /^# HELP tessera_http_requests_total /m);
      assert.match(res.text, /^# TYPE tessera_http_request_duration_seconds histogram$/m);
    });

    it('counts requests by method, route template and status', () => {
      const find = (route: string, status: string, method = 'GET'): number =>
        value(samples, 'tessera_http_requests_total', { method, route, status });
      assert.ok(find('/api/v1/tokens/:id', '200') >= 1);
      assert.ok(
        find('/api/v1/tokens/:id', '404') >= 1,
        'a 404 on a matched route keeps its template',
      );
      assert.ok(find('/api/v1/tokens/self', '200') >= 2);
      assert.ok(find('unmatched', '404') >= 2, 'unknown paths are one series');
      assert.ok(find('/api/v1/me', '401') >= 3);
      assert.ok(find('/api/v1/tokens', '201', 'POST') >= 3);
      assert.ok(find('/api/v1/tokens', '403', 'POST') >= 1);
    });

    it('has a latency histogram per route template, with its buckets, sum and count', () => {
      const labels = { method: 'GET', route: '/api/v1/tokens/:id', status: '200' };
      const buckets = samples.filter(
        (s) =>
          s.name === 'tessera_http_request_duration_seconds_bucket' &&
          s.labels.route === labels.route &&
          s.labels.status === '200',
      );
      assert.deepEqual(
        buckets.map((b) => b.labels.le),
        [
          '0.001',
          '0.0025',
          '0.005',
          '0.01',
          '0.025',
          '0.05',
          '0.1',
          '0.25',
          '0.5',
          '1',
          '2.5',
          '5',
          '10',
          '+Inf',
        ],
      );
      const count = value(samples, 'tessera_http_request_duration_seconds_count', labels);
      assert.ok(count >= 1);
      assert.equal(buckets[buckets.length - 1].value, count);
      assert.ok(value(samples, 'tessera_http_request_duration_seconds_sum', labels) > 0);
      assert.ok(
        value(samples, 'tessera_http_request_duration_seconds_count', {
          method: 'GET',
          route: 'unmatched',
          status: '404',
        }) >= 2,
      );
    });

    it('counts authentication outcomes by method and code', () => {
      const auth = (method: string, code: string): number =>
        value(samples, 'tessera_auth_outcomes_total', { method, code });
      assert.ok(auth('bearer', 'ok') >= 3);
      assert.ok(auth('api_key', 'ok') >= 1);
      assert.ok(auth('basic_password', 'ok') >= 3);
      assert.equal(auth('bearer', 'invalid_token'), 2);
      assert.equal(auth('none', 'missing_credentials'), 1);
      assert.equal(auth('bearer', 'ip_not_allowed'), 1);
      // The sign-in form and the OAuth token endpoint, under their own methods.
      assert.equal(auth('web_login', 'invalid_credentials'), 1);
      assert.equal(auth('web_login', 'ok'), 1);
      assert.equal(auth('oauth_token', 'invalid_client'), 1);
    });

    it('counts refusals by code, from a fixed list', () => {
      const refusals = (code: string): number =>
        value(samples, 'tessera_request_refusals_total', { code });
      assert.equal(refusals('insufficient_scope'), 1);
      assert.equal(refusals('ip_not_allowed'), 1);
      assert.equal(refusals('rate_limited'), 0);
      assert.equal(refusals('quota_exceeded'), 0, 'present at zero, for dashboards');
      const codes = samples
        .filter((s) => s.name === 'tessera_request_refusals_total')
        .map((s) => s.labels.code);
      assert.ok(!codes.includes('not_found') && !codes.includes('invalid_token'));
    });

    it('exposes the webhook, scheduler, mail and accounting counters kept by those features', () => {
      assert.equal(value(samples, 'tessera_webhook_deliveries_total', { outcome: 'delivered' }), 2);
      assert.equal(value(samples, 'tessera_webhook_deliveries_total', { outcome: 'failed' }), 1);
      assert.equal(value(samples, 'tessera_webhook_deliveries_total', { outcome: 'retried' }), 0);
      const runs = samples.filter(
        (s) => s.name === 'tessera_scheduler_runs_total' && s.labels.outcome === 'ok',
      );
      assert.ok(runs.length >= 1, 'the scheduler’s jobs are listed');
      assert.ok(
        runs.every((r) => r.value === 1),
        JSON.stringify(runs),
      );
      assert.equal(value(samples, 'tessera_mail_messages_total', { outcome: 'sent' }), 0);
      assert.equal(value(samples, 'tessera_accounting_dropped_total', { kind: 'request_log' }), 3);
      assert.equal(value(samples, 'tessera_accounting_dropped_total', { kind: 'quota' }), 0);
    });

    it('reads the features’ counters at each scrape, without counting twice', async () => {
      t.app.get(WebhookMetrics).count('delivered');
      const again = parseExposition(await scrape());
      assert.equal(value(again, 'tessera_webhook_deliveries_total', { outcome: 'delivered' }), 3);
      const more = parseExposition(await scrape());
      assert.equal(value(more, 'tessera_webhook_deliveries_total', { outcome: 'delivered' }), 3);
    });

    it('has the process metrics', () => {
      for (const name of [
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'process_start_time_seconds',
        'nodejs_heap_size_used_bytes',
        'nodejs_eventloop_lag_p99_seconds',
      ]) {
        assert.ok(
          samples.some((s) => s.name === name),
          `${name} missing`,
        );
      }
    });

    it('labels only with bounded values: no token, user, address, id or raw path', () => {
      const secrets = [
        metricsToken,
        token.token,
        readOnly.token,
        fenced.token,
        token.token.slice(0, 12),
        user.id,
        user.username,
        token.id,
        fenced.id,
        '127.0.0.',
        '::1',
        'ts_nonsense',
        'no-such-thing',
      ];
      const routes = new Set<string>();
      let checked = 0;
      for (const sample of samples) {
        for (const [label, labelValue] of Object.entries(sample.labels)) {
          checked += 1;
          for (const secret of secrets) {
            assert.ok(
              !labelValue.includes(secret),
              `${sample.name}{${label}="${labelValue}"} contains ${secret}`,
            );
          }
          assert.doesNotMatch(labelValue, UUID, `${sample.name}{${label}} holds an id`);
          assert.doesNotMatch(
            labelValue,
            /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/,
            `${sample.name}{${label}} holds an address`,
          );
          if (label === 'route') {
            routes.add(labelValue);
          }
        }
      }
      assert.ok(checked > 100, `only ${checked} label values`);
      for (const route of routes) {
        assert.ok(
          route === 'unmatched' || route.startsWith('/'),
          `route label ${route} is neither a template nor unmatched`,
        );
        for (const segment of route.split('/')) {
          assert.ok(
            segment.startsWith(':') || !/\d{3,}|[0-9a-f]{16,}/.test(segment),
            `route ${route} has a raw id in it`,
          );
        }
      }
      assert.ok(routes.has('/api/v1/tokens/:id'), [...routes].join(', '));
      assert.ok([...routes].some((r) => r.includes(':')));
      const methods = new Set(samples.map((s) => s.labels.method).filter(Boolean));
      for (const method of methods) {
        assert.match(
          method,
          /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|other|bearer|api_key|query_key|basic_token|basic_password|legacy_api_password|oauth|session|none|basic|legacy|multiple|web_login|oauth_token)$/,
        );
      }
    });

    it('labels an unknown method `other`, not by its name', async () => {
      await t.http().search('/api/v1/me');
      const after = parseExposition(await scrape());
      const methods = after
        .filter((s) => s.name === 'tessera_http_requests_total')
        .map((s) => s.labels.method);
      assert.ok(!methods.includes('SEARCH'));
      assert.ok(methods.includes('other'), methods.join(','));
    });
  });

  describe('with METRICS_ENABLED=true and no token', () => {
    let t: TestApp;
    let user: TestUser;
    before(async () => {
      t = await startTestApp({
        env: { METRICS_ENABLED: 'true', RATE_LIMIT_REQUESTS: '2' },
      });
      user = await createUser(t);
    });
    after(() => t.close());

    it('serves /metrics without credentials, and ignores any that are sent', async () => {
      assert.equal((await t.http().get('/metrics')).status, 200);
      assert.equal(
        (await t.http().get('/metrics').set('Authorization', 'Bearer anything')).status,
        200,
      );
    });

    it('counts rate-limited refusals', async () => {
      const workspace = await createWorkspace(t, user);
      const token = await createToken(t, user, workspace);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await t
          .http()
          .get('/api/v1/tokens/self')
          .set('Authorization', token.bearer)
          .set('X-Workspace-Id', workspace.id);
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      const samples = parseExposition((await t.http().get('/metrics')).text);
      assert.equal(value(samples, 'tessera_request_refusals_total', { code: 'rate_limited' }), 1);
      assert.equal(
        value(samples, 'tessera_http_requests_total', {
          method: 'GET',
          route: '/api/v1/tokens/self',
          status: '429',
        }),
        1,
      );
    });
  });
});
