import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../common/errors/api-error';
import { AppConfig, loadConfig } from '../config/app-config';
import { FailedAuthLimiter } from './failed-auth.limiter';
import { MemoryRateLimitStore, RateLimitStore } from './rate-limit-store';

function config(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ FAILED_AUTH_LIMIT: '3', FAILED_LOGIN_ACCOUNT_LIMIT: '2', ...env });
}

async function refusal(pending: Promise<unknown>): Promise<ApiError> {
  try {
    await pending;
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

/** A store whose backend does not answer (Redis away): every count comes back empty. */
class SilentStore extends MemoryRateLimitStore {
  override tryIncrement(): Promise<null> {
    return Promise.resolve(null);
  }
}

describe('FailedAuthLimiter', () => {
  const address = FailedAuthLimiter.address('192.0.2.1');
  const account = FailedAuthLimiter.account('user-1');

  it('reserves atomically: of many parallel attempts, exactly the limit get through', async () => {
    const store = new MemoryRateLimitStore();
    const limiter = new FailedAuthLimiter(store, config());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => limiter.reserve(address)),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 3);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      assert.equal((outcome.reason as ApiError).code, 'rate_limited');
    }
    store.onApplicationShutdown();
  });

  it('gives a right secret its attempt back, so that valid sign-ins never add up to a block', async () => {
    const store = new MemoryRateLimitStore();
    const limiter = new FailedAuthLimiter(store, config());
    for (let i = 0; i < 10; i++) {
      await (await limiter.reserve(address, account)).release();
    }
    await limiter.reserve(address, account); // a wrong one: kept
    await limiter.reserve(address, account); // the account's second failure
    const blocked = await refusal(limiter.reserve(address, account));
    assert.equal(blocked.code, 'rate_limited');
    assert.equal(blocked.headers['RateLimit-Limit'], '2', 'the account limit refused it');
    store.onApplicationShutdown();
  });

  it('refuses, without counting, a secret it cannot count (the store does not answer)', async () => {
    const store = new SilentStore();
    const limiter = new FailedAuthLimiter(store, config());
    const error = await refusal(limiter.reserve(address));
    assert.equal(error.status, 503);
    assert.equal(error.code, 'service_unavailable');
    assert.ok(Number(error.headers['Retry-After']) >= 1);
    store.onApplicationShutdown();
  });

  it('does nothing for a limit of 0', async () => {
    const store: RateLimitStore = new SilentStore();
    const limiter = new FailedAuthLimiter(
      store,
      config({ FAILED_AUTH_LIMIT: '0', FAILED_LOGIN_ACCOUNT_LIMIT: '0' }),
    );
    await (await limiter.reserve(address, account)).release();
    (store as SilentStore).onApplicationShutdown();
  });
});
