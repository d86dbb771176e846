import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { signatureHeader, verifySignature } from './webhook-signature';
import { retryDelayMs } from './webhook-retry';

describe('Tessera-Signature', () => {
  const secret = 'whsec_0123456789abcdefghijABCDEFGHIJKL';
  const body = '{"id":"e1","type":"token.created"}';

  it('is t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    assert.equal(signatureHeader(secret, 1700000000, body), `t=1700000000,v1=${expected}`);
  });

  it('verifies its own signature, and refuses another body, secret or an old time', () => {
    const now = Date.now();
    const t = Math.floor(now / 1000);
    const header = signatureHeader(secret, t, body);
    assert.equal(verifySignature(secret, header, body, 300, now), true);
    assert.equal(verifySignature(secret, header, `${body} `, 300, now), false);
    assert.equal(verifySignature(`${secret}x`, header, body, 300, now), false);
    assert.equal(verifySignature(secret, header, body, 300, now + 301_000), false);
    assert.equal(verifySignature(secret, 'garbage', body, 300, now), false);
  });
});

describe('retryDelayMs', () => {
  const mid = (): number => 0.5; // no jitter

  it('waits 1, 5, 15, 30, 60, 120, 240 base units, then doubles up to a day', () => {
    const minutes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map(
      (n) => retryDelayMs(n, 60_000, mid) / 60_000,
    );
    assert.deepEqual(minutes, [1, 5, 15, 30, 60, 120, 240, 480, 960, 1440]);
  });

  it('spans at least an hour over the first six attempts (five waits), even with jitter', () => {
    const low = (): number => 0;
    const total = [1, 2, 3, 4, 5].reduce((sum, n) => sum + retryDelayMs(n, 60_000, low), 0);
    assert.ok(total >= 3_600_000, `${total} ms`);
  });

  it('jitters within ±20 %', () => {
    assert.equal(
      retryDelayMs(1, 1000, () => 0),
      800,
    );
    assert.equal(
      retryDelayMs(1, 1000, () => 1),
      1200,
    );
  });
});
