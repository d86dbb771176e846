import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTime } from './iso-time';

describe('isoTime', () => {
  it('writes exactly what toISOString writes', () => {
    const instants = [
      0,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999), // a leap day, the last millisecond
      Date.UTC(1999, 11, 31, 23, 59, 59, 1),
      Date.UTC(2026, 0, 1, 0, 0, 0, 10),
      Date.UTC(1000, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.now(),
    ];
    // And a spread of instants over four centuries, every field varying.
    let seed = 42;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      instants.push(Date.UTC(1900, 0, 1) + (seed / 2 ** 31) * 400 * 365.25 * 86_400_000);
    }
    for (const ms of instants) {
      const date = new Date(Math.floor(ms));
      assert.equal(isoTime(date), date.toISOString());
    }
  });

  it('leaves years outside 1000–9999 and invalid dates to toISOString', () => {
    for (const ms of [Date.UTC(999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), -1e14]) {
      const date = new Date(ms);
      assert.equal(isoTime(date), date.toISOString());
    }
    assert.throws(() => isoTime(new Date(NaN)), RangeError);
  });
});
