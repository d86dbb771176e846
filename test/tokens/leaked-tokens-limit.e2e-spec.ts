import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError } from '../support/factories';
import { fromAddress } from '../support/net';
import { startTestApp } from '../support/test-app';

// SPEC §11.6: the leaked-token intake is limited per client address (LEAKED_TOKEN_REPORT_LIMIT
// per LEAKED_TOKEN_REPORT_WINDOW_SECONDS), in the rate-limit store shared by every instance.

describe('POST /api/v1/tokens/revoke-leaked: rate limit per address', () => {
  it('answers 429 rate_limited with Retry-After past the limit, while another address still works', async () => {
    const limited = await startTestApp({
      env: { LEAKED_TOKEN_REPORT_LIMIT: '2', LEAKED_TOKEN_REPORT_WINDOW_SECONDS: '600' },
    });
    try {
      const send = (ip: string) =>
        limited
          .http()
          .post('/api/v1/tokens/revoke-leaked')
          .agent(fromAddress(ip))
          .send({ tokens: ['x'] });
      assert.equal((await send('127.0.32.1')).status, 202);
      assert.equal((await send('127.0.32.1')).status, 202);
      const refused = await send('127.0.32.1');
      assertError(refused, 429, 'rate_limited');
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      assert.ok(Number(refused.headers['retry-after']) <= 600);
      assert.equal(refused.headers['ratelimit-limit'], '2');
      assert.equal((await send('127.0.32.2')).status, 202, 'another address is not blocked');
      // Invalid bodies count too: the limit is per request, not per valid report.
      const bad = await limited
        .http()
        .post('/api/v1/tokens/revoke-leaked')
        .agent(fromAddress('127.0.32.2'))
        .send({ tokens: [] });
      assertError(bad, 400, 'validation_failed');
      assertError(await send('127.0.32.2'), 429, 'rate_limited');
    } finally {
      await limited.close();
    }
  });
});
