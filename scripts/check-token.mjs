#!/usr/bin/env node
// Checks, offline, whether strings are well-formed Tessera tokens (docs/secret-scanning.md):
// no server, no database, no dependencies — the checksum needs nothing but the string.
//   node scripts/check-token.mjs <token> [<token> ...]        exit 0: all well-formed, 1: not
//   TOKEN_PREFIX=acme_ node scripts/check-token.mjs <token>    for an instance with another prefix
// "Well-formed" means the token could have been issued by Tessera, not that it still works:
// report it to POST /api/v1/tokens/revoke-leaked to have it revoked if it does.

import { pathToFileURL } from 'node:url';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 32;
const CHECKSUM_LENGTH = 6;

// CRC-32 (IEEE 802.3, as zlib computes it), table-driven: no node:zlib needed.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) {
    c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return c >>> 0;
});

function crc32(text) {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The CRC-32 as 6 base62 digits, most significant first, zero-padded. */
export function checksumOf(head) {
  let rest = crc32(head);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** Why `token` is not a well-formed token, or null when it is. */
export function problemWith(token, prefix = 'ts_') {
  if (/^ts[or]_/.test(token) && prefix !== 'tso_' && prefix !== 'tsr_') {
    const kind = token.startsWith('tso_') ? 'access' : 'refresh';
    return /^ts[or]_[0-9A-Za-z]{40}$/.test(token)
      ? null
      : `not a well-formed OAuth ${kind} token (tso_/tsr_ + 40 base62 characters)`;
  }
  if (!token.startsWith(prefix)) {
    return `wrong prefix: it should start with ${prefix}`;
  }
  const expected = prefix.length + BODY_LENGTH;
  if (token.length !== expected) {
    return `wrong length: ${token.length} characters, a token has ${expected}`;
  }
  const body = token.slice(prefix.length);
  const bad = [...body].findIndex((c) => !BASE62.includes(c));
  if (bad >= 0) {
    return `character ${bad + prefix.length + 1} is not a base62 letter or digit`;
  }
  if (checksumOf(token.slice(0, -CHECKSUM_LENGTH)) !== token.slice(-CHECKSUM_LENGTH)) {
    return 'the checksum (last 6 characters) does not match: mistyped, truncated or made up';
  }
  return null;
}

function main(args) {
  const prefix = process.env.TOKEN_PREFIX || 'ts_';
  if (args.length === 0 || args.includes('-h') || args.includes('--help')) {
    console.error('usage: node scripts/check-token.mjs <token> [<token> ...]');
    console.error('       (TOKEN_PREFIX=… for an instance whose tokens have another prefix)');
    return 2;
  }
  let allGood = true;
  for (const token of args) {
    // Only a recognisable part of the secret is ever printed.
    const shown = token.length > 11 ? `${token.slice(0, 11)}…` : token;
    const problem = problemWith(token, prefix);
    if (problem) {
      allGood = false;
      console.log(`${shown}: not a token: ${problem}`);
    } else if (/^ts[or]_/.test(token) && !token.startsWith(prefix)) {
      console.log(`${shown}: well-formed OAuth token (they carry no checksum: shape only)`);
    } else {
      console.log(`${shown}: well-formed Tessera API token (checksum matches)`);
    }
  }
  return allGood ? 0 : 1;
}

// Run as a command (not when imported).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
