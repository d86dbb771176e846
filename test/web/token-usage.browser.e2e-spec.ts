import assert from 'node:assert/strict';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { RequestLogRecorder } from '../../src/tokens/request-log/request-log.recorder';
import { RequestLogStore } from '../../src/tokens/request-log/request-log.store';
import {
  DESKTOP,
  launchChromium,
  newContext,
  overflowsHorizontally,
  RealBrowser,
  screenshot,
  signIn,
  watchProblems,
} from './browser';

// SPEC §11.2 on /account/tokens: per token, a server-rendered SVG chart of requests and errors
// per day and the latest requests, on a desktop and on a 375×740 phone.

const PHONE_375 = { width: 375, height: 740 };
const DAY_MS = 86_400_000;

describe('Token usage page in a real browser', { timeout: 120_000 }, () => {
  let t: TestApp;
  let chromium: RealBrowser | undefined;
  let launchError: unknown;
  let alice: TestUser;
  let acme: TestWorkspace;
  let token: TestToken;
  let base: string;
  const threeDaysAgo = new Date(Date.now() - 3 * DAY_MS).toISOString().slice(0, 10);
  const today = new Date().toISOString().slice(0, 10);

  before(async () => {
    try {
      chromium = await launchChromium();
    } catch (error) {
      launchError = error;
    }
    t = await startTestApp();
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    alice = await createUser(t);
    acme = await createWorkspace(t, alice, { name: 'Acme', plan: 'enterprise' });
    token = await createToken(t, alice, acme, { scopes: ['read'], name: 'deploy bot' });
    const ua =
      'Mozilla/5.0 (X11; Linux x86_64) deploy-bot/2.7.1 (+https://ci.example.test/very/long/path)';
    const call = (method: 'get' | 'post', path: string) => {
      const agent = t.http();
      const req = method === 'get' ? agent.get(path) : agent.post(path);
      return req
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', acme.id)
        .set('User-Agent', ua);
    };
    for (let i = 0; i < 4; i++) {
      assert.equal((await call('get', '/api/v1/projects')).status, 200);
    }
    assert.equal((await call('post', '/api/v1/projects').send({ name: 'x' })).status, 403);
    assert.equal((await call('get', '/api/v1/me')).status, 200);
    await t.app
      .get(RequestLogStore)
      .addUsage([{ tokenId: token.id, day: threeDaysAgo, requests: 12, errors: 3 }]);
    await t.app.get(RequestLogRecorder).flush();
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone (375×740)', PHONE_375],
  ] as const) {
    it(`${label}: shows the chart with bars for the days with traffic and the latest requests`, async () => {
      if (!chromium) {
        throw launchError;
      }
      const context = await newContext(chromium.browser, base, viewport);
      const page = await context.newPage();
      const problems = watchProblems(page);
      try {
        await signIn(page, alice);
        await page.getByRole('button', { name: 'Usage of token deploy bot' }).click();
        await page.waitForURL(new RegExp(`/account/tokens/${token.id}/usage\\??$`));
        await page.getByRole('heading', { name: 'Usage of “deploy bot”' }).waitFor();

        const chart = page.getByRole('img', { name: /Requests and errors per day/ });
        await chart.waitFor();
        assert.ok((await chart.boundingBox())!.width > 200, 'the chart is visible');
        // One bar per day with traffic (30 days, two of them used), errors drawn over them.
        assert.equal(await page.locator('#usage-chart g.day').count(), 30);
        assert.equal(await page.locator('#usage-chart rect.bar-requests').count(), 2);
        assert.equal(await page.locator('#usage-chart rect.bar-errors').count(), 2);
        const todayBar = page.locator(`#usage-chart g.day[data-date="${today}"]`);
        assert.equal(await todayBar.getAttribute('data-requests'), '6');
        assert.equal(await todayBar.getAttribute('data-errors'), '1');
        const oldBar = page.locator(
          `#usage-chart g.day[data-date="${threeDaysAgo}"] rect.bar-requests`,
        );
        const todayRect = todayBar.locator('rect.bar-requests');
        // 12 requests are twice as tall as 6.
        const h = async (l: typeof oldBar) => Number(await l.getAttribute('height'));
        assert.ok(Math.abs((await h(oldBar)) - 2 * (await h(todayRect))) < 1);

        const rows = page.locator('#recent-requests tbody tr');
        assert.equal(await rows.count(), 6);
        const newest = (await rows.first().textContent()) ?? '';
        assert.match(newest, /GET \/api\/v1\/me/);
        assert.match(newest, /200/);
        assert.match((await rows.nth(1).textContent()) ?? '', /POST \/api\/v1\/projects[\s\S]*403/);
        assert.ok(await rows.first().isVisible());

        assert.equal(await overflowsHorizontally(page), false, 'no sideways scrolling');
        const suffix = viewport === DESKTOP ? '' : '-phone';
        await screenshot(page, `token-usage${suffix}`);
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });
  }
});
