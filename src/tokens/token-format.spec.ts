import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checksumOf, TokenFormat } from './token-format';

describe('TokenFormat', () => {
  const format = new TokenFormat('ts_');

  it('generates 35-character tokens with the prefix and a valid checksum', () => {
    const token = format.generate();
    assert.equal(token.length, 35);
    assert.ok(token.startsWith('ts_'));
    assert.match(token, /^ts_[0-9A-Za-z]{32}$/);
    assert.equal(format.isWellFormed(token), true);
    assert.equal(format.displayPrefix(token), token.slice(0, 11));
  });

  it('generates distinct tokens', () => {
    const seen = new Set(Array.from({ length: 500 }, () => format.generate()));
    assert.equal(seen.size, 500);
  });

  it('refuses a token whose checksum does not match', () => {
    const token = format.generate();
    const last = token.at(-1) === 'a' ? 'b' : 'a';
    assert.equal(format.isWellFormed(token.slice(0, -1) + last), false);
  });

  it('refuses a token with one changed character in the random part', () => {
    const token = format.generate();
    const swapped = token[5] === 'x' ? 'y' : 'x';
    assert.equal(format.isWellFormed(token.slice(0, 5) + swapped + token.slice(6)), false);
  });

  it('refuses other prefixes, lengths and characters', () => {
    const token = format.generate();
    assert.equal(format.isWellFormed('xx_' + token.slice(3)), false);
    assert.equal(format.isWellFormed(token + 'a'), false);
    assert.equal(format.isWellFormed(token.slice(0, -1)), false);
    assert.equal(format.isWellFormed(token.slice(0, 10) + '-' + token.slice(11)), false);
    assert.equal(format.isWellFormed(''), false);
  });

  it('computes a stable 6-character checksum', () => {
    assert.equal(checksumOf('ts_abc'), checksumOf('ts_abc'));
    assert.equal(checksumOf('ts_abc').length, 6);
    assert.notEqual(checksumOf('ts_abc'), checksumOf('ts_abd'));
  });

  it('honours a custom prefix, and keeps accepting tokens minted under an earlier one', () => {
    const custom = new TokenFormat('acme_');
    const token = custom.generate();
    assert.equal(token.length, 37);
    assert.equal(custom.isWellFormed(token), true);
    assert.equal(custom.looksLikeToken(token), true);
    // TOKEN_PREFIX changed from acme_ to ts_: the acme_ token still works, and ts_ tokens
    // still work after a change back.
    assert.equal(format.isWellFormed(token), true);
    assert.equal(format.looksLikeToken(token), true);
    assert.equal(custom.isWellFormed(format.generate()), true);
    // The checksum covers the prefix: the same body under another prefix is refused.
    assert.equal(format.isWellFormed('ts_' + token.slice(5)), false);
    assert.equal(format.isWellFormed('acme2_' + token.slice(5)), false);
    // Not a prefix TOKEN_PREFIX may be: upper case, too long, no underscore.
    const upper = 'ACME_' + token.slice(5);
    assert.equal(format.isWellFormed(upper.slice(0, -6) + checksumOf(upper.slice(0, -6))), false);
    const long = 'abcdefgh_' + token.slice(5, -6);
    assert.equal(format.isWellFormed(long + checksumOf(long)), false);
    const bare = 'acme' + token.slice(5, -6);
    assert.equal(format.isWellFormed(bare + checksumOf(bare)), false);
  });
});
