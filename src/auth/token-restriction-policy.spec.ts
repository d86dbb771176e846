import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressList, canonicalEntry } from './address-list';
import { AuthPrincipal } from './auth-types';
import {
  addressRefusal,
  inheritedRestrictions,
  projectCreationRefusal,
  projectReach,
  wideningRefusal,
} from './token-restriction-policy';
import { restrictionsOf } from '../tokens/token-verifier.service';

function principal(
  allowedCidrs: string[] | null,
  projectIds: string[] | null,
  kind: 'token' | 'password' = 'token',
): AuthPrincipal {
  return {
    user: { id: 'u1', username: 'u', email: 'u@example.test', isAdmin: false, type: 'human' },
    method: kind === 'token' ? 'bearer' : 'basic_password',
    tokenId: kind === 'token' ? 't1' : null,
    scopes: ['read', 'write'],
    tokenWorkspaceId: 'w1',
    expiresAt: null,
    impersonatedBy: null,
    twoFactorEnabled: false,
    restrictions:
      kind === 'token' ? restrictionsOf(allowedCidrs, projectIds, new Date()) : undefined,
  };
}

describe('address lists (ipaddr.js)', () => {
  it('canonicalizes entries, or refuses them', () => {
    const table: Array<[string, string | null]> = [
      ['10.0.0.7', '10.0.0.7'],
      ['10.0.0.7/32', '10.0.0.7'],
      ['10.0.0.7/24', '10.0.0.0/24'],
      [' 10.1.2.3/8 ', '10.0.0.0/8'],
      ['0.0.0.0/0', '0.0.0.0/0'],
      ['::ffff:10.0.0.1', '10.0.0.1'],
      ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
      ['2001:DB8::1', '2001:db8::1'],
      ['2001:db8::1/128', '2001:db8::1'],
      ['2001:db8:1:2::/32', '2001:db8::/32'],
      ['::/0', '::/0'],
      ['10.0.0.0/33', null],
      ['2001:db8::/129', null],
      ['10.0.0', null],
      ['010.0.0.1', null],
      ['256.0.0.1', null],
      ['example.com', null],
      ['', null],
      ['10.0.0.1/', null],
      ['10.0.0.1/-1', null],
    ];
    for (const [entry, expected] of table) {
      assert.equal(canonicalEntry(entry), expected, entry);
    }
  });

  it('matches client addresses in their family, IPv4-mapped IPv6 as IPv4', () => {
    const list = AddressList.of(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32']);
    const table: Array<[string, boolean]> = [
      ['10.255.1.1', true],
      ['11.0.0.1', false],
      ['192.0.2.7', true],
      ['192.0.2.8', false],
      ['::ffff:10.1.1.1', true],
      ['::ffff:192.0.2.8', false],
      ['2001:db8:ffff::1', true],
      ['2001:db9::1', false],
      ['::1', false],
      ['not an address', false],
    ];
    for (const [client, allowed] of table) {
      assert.equal(list.allows(client), allowed, client);
    }
    assert.equal(AddressList.of(['::/0']).allows('10.0.0.1'), false, 'families never mix');
  });

  it('knows when one list lies within another', () => {
    const outer = AddressList.of(['10.0.0.0/16', '2001:db8::/32']);
    assert.equal(AddressList.of(['10.0.5.0/24', '10.0.0.1']).within(outer), true);
    assert.equal(AddressList.of(['2001:db8:1::/48']).within(outer), true);
    assert.equal(AddressList.of(['10.0.0.0/8']).within(outer), false);
    assert.equal(AddressList.of(['10.1.0.1']).within(outer), false);
    assert.equal(AddressList.of(['10.0.0.1', '192.0.2.1']).within(outer), false);
  });
});

describe('token restriction policy (SPEC §11.1)', () => {
  it('addressRefusal: 403 ip_not_allowed naming the address, only for tokens with a list', () => {
    const table: Array<[AuthPrincipal, string, string | null]> = [
      [principal(null, null), '198.51.100.1', null],
      [principal(['10.0.0.0/8'], null), '10.2.3.4', null],
      [principal(['10.0.0.0/8'], null), '::ffff:10.2.3.4', null],
      [principal(['10.0.0.0/8'], null), '198.51.100.1', 'ip_not_allowed'],
      [principal(['2001:db8::/32'], null), '10.2.3.4', 'ip_not_allowed'],
      [principal(null, null, 'password'), '198.51.100.1', null],
    ];
    for (const [who, ip, code] of table) {
      const refusal = addressRefusal(who, ip);
      assert.equal(
        refusal?.code ?? null,
        code,
        `${JSON.stringify(who.restrictions?.allowedCidrs)} ${ip}`,
      );
      if (refusal) {
        assert.equal(refusal.status, 403);
        assert.ok(refusal.message.includes(ip));
      }
    }
  });

  it('projectReach and projectCreationRefusal', () => {
    assert.equal(projectReach(principal(null, null)), null);
    assert.deepEqual(projectReach(principal(null, ['p1'])), ['p1']);
    assert.deepEqual(projectReach(principal(null, [])), []);
    assert.equal(projectReach(principal(null, null, 'password')), null);
    assert.equal(projectCreationRefusal(null), null);
    assert.equal(projectCreationRefusal([])?.code, 'project_not_allowed');
    assert.equal(projectCreationRefusal(['p1'])?.code, 'project_not_allowed');
  });

  it('inheritedRestrictions copies the caller’s own', () => {
    assert.deepEqual(inheritedRestrictions(principal(['10.0.0.0/8'], ['p1'])), {
      allowedCidrs: ['10.0.0.0/8'],
      projectIds: ['p1'],
    });
    assert.deepEqual(inheritedRestrictions(principal(null, null, 'password')), {
      allowedCidrs: null,
      projectIds: null,
    });
  });

  it('wideningRefusal: never wider than a token caller, any width for passwords', () => {
    const caller = principal(['10.0.0.0/16'], ['p1', 'p2']);
    const table: Array<[AuthPrincipal, string[] | null, string[] | null, boolean]> = [
      [caller, ['10.0.1.0/24'], ['p1'], true],
      [caller, ['10.0.0.0/16'], ['p1', 'p2'], true],
      [caller, ['10.0.0.0/16'], [], true],
      [caller, null, ['p1'], false],
      [caller, ['10.0.0.0/8'], ['p1'], false],
      [caller, ['10.1.0.1'], ['p1'], false],
      [caller, ['10.0.1.0/24'], null, false],
      [caller, ['10.0.1.0/24'], ['p3'], false],
      [principal(null, null), null, null, true],
      [principal(null, ['p1']), ['192.0.2.1'], ['p1'], true],
      [principal(null, ['p1']), null, ['p1', 'p2'], false],
      [principal(null, null, 'password'), null, null, true],
    ];
    for (const [who, allowedCidrs, projectIds, allowed] of table) {
      const refusal = wideningRefusal(who, { allowedCidrs, projectIds });
      assert.equal(refusal === null, allowed, JSON.stringify({ allowedCidrs, projectIds }));
      if (refusal) {
        assert.equal(refusal.status, 403);
        assert.equal(refusal.code, 'forbidden');
      }
    }
  });
});
