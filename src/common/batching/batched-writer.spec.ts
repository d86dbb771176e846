import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { BatchedWriter } from './batched-writer';

interface Count {
  n: number;
}

function writer(fail: (key: string) => boolean, flushAtSize?: number) {
  const written: Array<[string, number]> = [];
  const warnings: string[] = [];
  const logger = new Logger('test');
  logger.warn = (message: unknown) => {
    warnings.push(String(message));
  };
  const w = new BatchedWriter<string, Count>({
    what: 'counts',
    intervalMs: 60_000,
    merge: (older, newer) => ({ n: older.n + newer.n }),
    write: (key, value) => {
      if (fail(key)) {
        return Promise.reject(new Error(`cannot write ${key}`));
      }
      written.push([key, value.n]);
      return Promise.resolve();
    },
    isOpen: () => true,
    flushAtSize,
    logger,
  });
  return { w, written, warnings };
}

describe('BatchedWriter', () => {
  it('flushes early once flushAtSize keys wait, and only on reaching it', async () => {
    let broken = false;
    const { w, written } = writer(() => broken, 3);
    w.add('a', { n: 1 });
    w.add('b', { n: 1 });
    w.add('a', { n: 1 }); // folded: still two keys
    await w.flush();
    written.length = 0;
    w.add('a', { n: 1 });
    w.add('b', { n: 1 });
    assert.equal(written.length, 0, 'two keys wait: no flush');
    w.add('c', { n: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, [
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ]);
    assert.equal(w.size, 0);
    // A flush that fails keeps its records; new keys past the size wait for the timer.
    broken = true;
    for (const key of ['d', 'e', 'f']) {
      w.add(key, { n: 1 });
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(w.size, 3);
    broken = false;
    w.add('g', { n: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(w.size, 4, 'past the size, no early flush');
    await w.flush();
    assert.equal(w.size, 0);
  });

  it('folds records per key and writes each key once per flush', async () => {
    const { w, written } = writer(() => false);
    w.add('a', { n: 1 });
    w.add('a', { n: 2 });
    w.add('b', { n: 5 });
    assert.equal(w.size, 2);
    await w.flush();
    assert.deepEqual(written, [
      ['a', 3],
      ['b', 5],
    ]);
    assert.equal(w.size, 0);
    await w.flush();
    assert.equal(written.length, 2, 'nothing pending, nothing written');
  });

  it('keeps what failed, folded with newer records, and never rewrites what was written', async () => {
    let broken = true;
    const { w, written, warnings } = writer((key) => broken && key === 'b');
    w.add('a', { n: 1 });
    w.add('b', { n: 2 });
    w.add('c', { n: 3 });
    await w.flush();
    assert.deepEqual(written, [['a', 1]]);
    assert.match(warnings[0], /Could not record counts: cannot write b/);
    w.add('b', { n: 10 });
    broken = false;
    await w.flush();
    assert.deepEqual(written, [
      ['a', 1],
      ['b', 12],
      ['c', 3],
    ]);
  });

  it('runs concurrent flushes one after another', async () => {
    const { w, written } = writer(() => false);
    w.add('a', { n: 1 });
    const first = w.flush();
    w.add('a', { n: 1 });
    await Promise.all([first, w.flush()]);
    // Each use counted once, whichever flush wrote it.
    assert.equal(
      written.reduce((sum, [, n]) => sum + n, 0),
      2,
    );
  });
});
