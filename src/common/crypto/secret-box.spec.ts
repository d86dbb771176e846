import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { atRestKeyMaterial, KEY_FILE_NAME, SecretKeyError } from './at-rest-key';
import { deriveAtRestKey, SecretBox, SecretBoxError } from './secret-box';

const box = new SecretBox(deriveAtRestKey('a-secret-key-of-at-least-32-characters!'));

describe('SecretBox (AES-256-GCM, HKDF-SHA256 key)', () => {
  it('seals into v1:<iv>:<tag>:<ciphertext> and opens back', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'totp:1');
    assert.match(sealed, /^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'));
    assert.ok(SecretBox.isSealed(sealed));
    assert.equal(box.open(sealed, 'totp:1'), 'JBSWY3DPEHPK3PXP');
  });

  it('uses a fresh IV each time', () => {
    assert.notEqual(box.seal('same', 'p'), box.seal('same', 'p'));
  });

  it('refuses another key, another purpose, and any tampering', () => {
    const sealed = box.seal('secret', 'totp:1');
    const other = new SecretBox(deriveAtRestKey('another-secret-key-of-32-characters-!!'));
    assert.throws(() => other.open(sealed, 'totp:1'), SecretBoxError);
    assert.throws(() => box.open(sealed, 'totp:2'), SecretBoxError);
    const [v, iv, tag, ct] = sealed.split(':');
    const flipped = `${ct[0] === 'A' ? 'B' : 'A'}${ct.slice(1)}`;
    assert.throws(() => box.open([v, iv, tag, flipped].join(':'), 'totp:1'), SecretBoxError);
    assert.throws(() => box.open('JBSWY3DPEHPK3PXP', 'totp:1'), SecretBoxError);
  });

  it('tells plaintext from sealed values', () => {
    assert.equal(SecretBox.isSealed('JBSWY3DPEHPK3PXP'), false);
    assert.equal(SecretBox.isSealed('q1w2e3r4t5y6u7i8o9p0q1w2e3r4t5y6u7i8o9p0abc='), false);
  });

  it('derives different keys from different secrets, the same key from the same one', () => {
    assert.deepEqual(deriveAtRestKey('x'.repeat(32)), deriveAtRestKey('x'.repeat(32)));
    assert.notDeepEqual(deriveAtRestKey('x'.repeat(32)), deriveAtRestKey('y'.repeat(32)));
    assert.equal(deriveAtRestKey('x').length, 32);
  });
});

describe('atRestKeyMaterial', () => {
  it('prefers SECRET_KEY and writes no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-key-'));
    try {
      assert.equal(atRestKeyMaterial('configured-key', dir), 'configured-key');
      assert.throws(() => statSync(join(dir, KEY_FILE_NAME)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generates DATA_DIR/secret.key (0600) once and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-key-'));
    try {
      const first = atRestKeyMaterial(null, join(dir, 'data'));
      const file = join(dir, 'data', KEY_FILE_NAME);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.ok(first.length >= 32);
      assert.equal(readFileSync(file, 'utf8').trim(), first);
      assert.equal(atRestKeyMaterial(null, join(dir, 'data')), first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops clearly on an empty or truncated key file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-key-'));
    try {
      writeFileSync(join(dir, KEY_FILE_NAME), 'short\n');
      assert.throws(() => atRestKeyMaterial(null, dir), SecretKeyError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
