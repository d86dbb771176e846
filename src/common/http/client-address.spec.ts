import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainAddress } from './client-address';

describe('plainAddress', () => {
  it('writes IPv4-mapped IPv6 addresses in their IPv4 form, in any spelling', () => {
    assert.equal(plainAddress('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(plainAddress('::FFFF:192.0.2.1'), '192.0.2.1');
    assert.equal(plainAddress('::ffff:c000:201'), '192.0.2.1');
    assert.equal(plainAddress('0:0:0:0:0:ffff:c000:0201'), '192.0.2.1');
  });

  it('leaves every other address as it is', () => {
    for (const ip of ['127.0.0.1', '::1', '2001:db8::1', '::', 'fe80::1', '::ffff', 'junk', '']) {
      assert.equal(plainAddress(ip), ip);
    }
  });
});
