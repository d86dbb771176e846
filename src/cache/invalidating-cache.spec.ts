import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidatingCache, InvalidationCounter } from './invalidating-cache';

interface Entry {
  id: string;
  owner: string;
}

function cache(options: { rememberMisses?: boolean; ttlMs?: number; maxEntries?: number } = {}) {
  return new InvalidatingCache<string, Entry>({ ttlMs: 60_000, maxEntries: 100, ...options });
}

/** A loader that counts its calls and resolves only when told to. */
function gatedLoader(value: Entry | null) {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const loader = {
    calls: 0,
    release: () => release(),
    load: async () => {
      loader.calls += 1;
      await gate;
      return value;
    },
  };
  return loader;
}

function countingLoader(value: Entry | null) {
  const loader = {
    calls: 0,
    load: () => {
      loader.calls += 1;
      return Promise.resolve(value);
    },
  };
  return loader;
}

const alice: Entry = { id: 'a', owner: 'alice' };
const bob: Entry = { id: 'b', owner: 'bob' };

describe('InvalidatingCache', () => {
  it('loads on a miss and serves the next call from memory', async () => {
    const c = cache();
    const loader = countingLoader(alice);
    assert.equal(c.get('k'), undefined);
    assert.equal(await c.getOrLoad('k', loader.load), alice);
    assert.equal(await c.getOrLoad('k', loader.load), alice);
    assert.equal(c.get('k'), alice);
    assert.equal(loader.calls, 1);
  });

  it('does not remember a miss unless asked to', async () => {
    const c = cache();
    const loader = countingLoader(null);
    assert.equal(await c.getOrLoad('k', loader.load), null);
    assert.equal(await c.getOrLoad('k', loader.load), null);
    assert.equal(c.get('k'), undefined);
    assert.equal(loader.calls, 2);
  });

  it('remembers a miss as null when asked to, until the key is deleted', async () => {
    const c = cache({ rememberMisses: true });
    const loader = countingLoader(null);
    assert.equal(await c.getOrLoad('k', loader.load), null);
    assert.equal(c.get('k'), null);
    assert.equal(await c.getOrLoad('k', loader.load), null);
    assert.equal(loader.calls, 1);
    c.delete('k');
    assert.equal(c.get('k'), undefined);
    assert.equal(await c.getOrLoad('k', countingLoader(alice).load), alice);
  });

  it('does not keep a load that an invalidation overtook, and keeps the next one', async () => {
    const c = cache();
    const slow = gatedLoader(alice);
    const pending = c.getOrLoad('k', slow.load);
    c.deleteWhere((entry) => entry.owner === 'nobody');
    slow.release();
    assert.equal(await pending, alice, 'the caller still gets what it read');
    assert.equal(c.get('k'), undefined);
    await c.getOrLoad('k', countingLoader(alice).load);
    assert.equal(c.get('k'), alice);
  });

  it('does not keep a miss that an invalidation overtook', async () => {
    const c = cache({ rememberMisses: true });
    const slow = gatedLoader(null);
    const pending = c.getOrLoad('k', slow.load);
    c.delete('other');
    slow.release();
    assert.equal(await pending, null);
    assert.equal(c.get('k'), undefined);
  });

  it('does not keep a load overtaken by an invalidation of another cache on the same counter', async () => {
    const counter = new InvalidationCounter();
    const tokens = new InvalidatingCache<string, Entry>({ ttlMs: 60_000, maxEntries: 10 }, counter);
    const members = new InvalidatingCache<string, Entry>(
      { ttlMs: 60_000, maxEntries: 10 },
      counter,
    );
    const slow = gatedLoader(alice);
    const pending = tokens.getOrLoad('k', slow.load);
    members.delete('x');
    slow.release();
    await pending;
    assert.equal(tokens.get('k'), undefined);
    const slowAgain = gatedLoader(alice);
    const next = tokens.getOrLoad('k', slowAgain.load);
    counter.bump();
    slowAgain.release();
    await next;
    assert.equal(tokens.get('k'), undefined, 'a bare bump counts as an invalidation too');
  });

  it('forgets entries once their time is up', async () => {
    const c = cache({ ttlMs: 20, rememberMisses: true });
    await c.getOrLoad('k', countingLoader(alice).load);
    await c.getOrLoad('gone', countingLoader(null).load);
    assert.equal(c.get('k'), alice);
    assert.equal(c.get('gone'), null);
    await sleep(40);
    assert.equal(c.get('k'), undefined);
    assert.equal(c.get('gone'), undefined);
    const loader = countingLoader(bob);
    assert.equal(await c.getOrLoad('k', loader.load), bob);
    assert.equal(loader.calls, 1);
  });

  it('drops the oldest entry when full', async () => {
    const c = cache({ maxEntries: 2 });
    await c.getOrLoad('1', countingLoader(alice).load);
    await c.getOrLoad('2', countingLoader(bob).load);
    await c.getOrLoad('3', countingLoader(alice).load);
    assert.equal(c.size, 2);
    assert.equal(c.get('1'), undefined);
    assert.equal(c.get('2'), bob);
    assert.equal(c.get('3'), alice);
  });

  it('bounds remembered misses apart, so that many misses cannot push values out', async () => {
    const c = cache({ maxEntries: 2, rememberMisses: true });
    await c.getOrLoad('a', countingLoader(alice).load);
    for (const guess of ['g1', 'g2', 'g3']) {
      await c.getOrLoad(guess, countingLoader(null).load);
    }
    assert.equal(c.get('a'), alice);
    assert.equal(c.get('g1'), undefined);
    assert.equal(c.get('g2'), null);
    assert.equal(c.get('g3'), null);
    assert.equal(c.size, 3);
  });

  it('drops the values a predicate matches and keeps the rest and remembered misses', async () => {
    const c = cache({ rememberMisses: true });
    await c.getOrLoad('a1', countingLoader(alice).load);
    await c.getOrLoad('a2', countingLoader({ id: 'a2', owner: 'alice' }).load);
    await c.getOrLoad('b', countingLoader(bob).load);
    await c.getOrLoad('none', countingLoader(null).load);
    c.deleteWhere((entry) => entry.owner === 'alice');
    assert.equal(c.get('a1'), undefined);
    assert.equal(c.get('a2'), undefined);
    assert.equal(c.get('b'), bob);
    assert.equal(c.get('none'), null);
  });
});
