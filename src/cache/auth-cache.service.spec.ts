import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/app-config';
import { AuthCache, Invalidation } from './auth-cache.service';

interface Token {
  id: string;
  userId: string;
}

// Without REDIS_URL the bus applies invalidations on this instance only.
function bus(): AuthCache {
  return new AuthCache(loadConfig({}));
}

function tokenCache(cache: AuthCache) {
  return cache.create<Token>({
    name: 'tokens',
    rememberMisses: true,
    dropOn: {
      token: (event) => (token) => token.id === event.tokenId,
      token_issued: (event) => ({ key: event.tokenHash }),
      user: (event) => (token) => token.userId === event.userId,
    },
  });
}

async function fill(cache: ReturnType<typeof tokenCache>): Promise<void> {
  await cache.getOrLoad('h1', () => Promise.resolve({ id: 't1', userId: 'u1' }));
  await cache.getOrLoad('h2', () => Promise.resolve({ id: 't2', userId: 'u1' }));
  await cache.getOrLoad('h3', () => Promise.resolve({ id: 't3', userId: 'u2' }));
  await cache.getOrLoad('unknown', () => Promise.resolve(null));
}

describe('AuthCache', () => {
  it('drops the entries a rule names, by predicate', async () => {
    const cache = bus();
    const tokens = tokenCache(cache);
    await fill(tokens);
    await cache.invalidate({ kind: 'token', tokenId: 't1' });
    assert.equal(tokens.get('h1'), undefined);
    assert.deepEqual(tokens.get('h2'), { id: 't2', userId: 'u1' });
    await cache.invalidate({ kind: 'user', userId: 'u1' });
    assert.equal(tokens.get('h2'), undefined);
    assert.deepEqual(tokens.get('h3'), { id: 't3', userId: 'u2' });
  });

  it('drops the entry a rule names, by key, remembered misses included', async () => {
    const cache = bus();
    const tokens = tokenCache(cache);
    await fill(tokens);
    assert.equal(tokens.get('unknown'), null);
    await cache.invalidate({ kind: 'token_issued', tokenHash: 'unknown' });
    assert.equal(tokens.get('unknown'), undefined);
    assert.equal(tokens.size, 3);
  });

  it('keeps everything on kinds the cache has no rule for', async () => {
    const cache = bus();
    const tokens = tokenCache(cache);
    await fill(tokens);
    await cache.invalidate({ kind: 'workspace', workspaceId: 'w1' });
    await cache.invalidate({ kind: 'settings' });
    assert.equal(tokens.size, 4);
  });

  it('ignores a kind it does not know, even one named like an Object property', async () => {
    const cache = bus();
    const tokens = tokenCache(cache);
    await fill(tokens);
    for (const kind of ['constructor', 'toString', 'renamed_kind']) {
      await cache.invalidate({ kind } as unknown as Invalidation);
    }
    assert.equal(tokens.size, 4);
  });

  it('discards a load in flight on any invalidation, even one for another cache', async () => {
    const cache = bus();
    const tokens = tokenCache(cache);
    cache.create<{ id: string }>({ name: 'other', dropOn: {} });
    let release: () => void = () => undefined;
    const pending = tokens.getOrLoad('h1', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { id: 't1', userId: 'u1' };
    });
    await cache.invalidate({ kind: 'settings' });
    release();
    await pending;
    assert.equal(tokens.get('h1'), undefined);
  });

  it('reports the size of each cache by name and refuses a name twice', async () => {
    const cache = bus();
    const tokens = tokenCache(cache);
    await fill(tokens);
    cache.create<{ id: string }>({ name: 'other', dropOn: {} });
    assert.deepEqual(cache.sizes(), { tokens: 4, other: 0 });
    assert.throws(() => tokenCache(cache), /tokens/);
  });
});
