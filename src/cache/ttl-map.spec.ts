import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtlMap } from './ttl-map';

/** A TtlMap on a clock the test moves. */
function mapAt(ttlMs: number, maxEntries = 100) {
  const clock = { now: 1_000_000 };
  const map = new TtlMap<string, number>(ttlMs, maxEntries, () => clock.now);
  return { map, clock };
}

describe('TtlMap', () => {
  it('keeps an entry for at least half its time to live and forgets it before the whole', () => {
    // Whenever in a generation an entry is set, it is there half the TTL later and gone a TTL later.
    for (const offset of [0, 1, 499, 500, 999]) {
      const { map, clock } = mapAt(1000);
      clock.now += offset;
      map.set('k', 1);
      clock.now += 499;
      assert.equal(map.get('k'), 1, `set at +${offset}: there 499 ms later`);
      clock.now += 501;
      assert.equal(map.get('k'), undefined, `set at +${offset}: gone 1000 ms later`);
    }
  });

  it('forgets everything after a long quiet spell', () => {
    const { map, clock } = mapAt(1000);
    map.set('a', 1);
    clock.now += 10_000;
    assert.equal(map.get('a'), undefined);
    assert.equal(map.size, 0);
  });

  it('starts the time again when an entry is set again', () => {
    const { map, clock } = mapAt(1000);
    map.set('k', 1);
    clock.now += 900;
    map.set('k', 2);
    clock.now += 500;
    assert.equal(map.get('k'), 2);
    assert.equal(map.size, 1);
  });

  it('drops the oldest entry when full, across generations', () => {
    const { map, clock } = mapAt(1000, 3);
    map.set('1', 1);
    map.set('2', 2);
    clock.now += 600; // 1 and 2 are now the previous generation
    map.set('3', 3);
    map.set('4', 4);
    assert.equal(map.size, 3);
    assert.equal(map.get('1'), undefined);
    assert.deepEqual(
      ['2', '3', '4'].map((k) => map.get(k)),
      [2, 3, 4],
    );
    map.set('2', 20); // already held: nothing else goes
    assert.equal(map.size, 3);
    assert.equal(map.get('3'), 3);
  });

  it('deletes by key and by predicate in both generations', () => {
    const { map, clock } = mapAt(1000);
    map.set('old-even', 2);
    map.set('old-odd', 1);
    clock.now += 600;
    map.set('new-even', 4);
    map.set('new-odd', 3);
    map.deleteWhere((value) => value % 2 === 0);
    assert.deepEqual(
      ['old-even', 'old-odd', 'new-even', 'new-odd'].map((k) => map.get(k)),
      [undefined, 1, undefined, 3],
    );
    map.delete('old-odd');
    map.delete('new-odd');
    assert.equal(map.size, 0);
  });
});
