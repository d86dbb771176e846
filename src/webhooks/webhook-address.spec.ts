import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ipaddr from 'ipaddr.js';
import {
  addressRefusal,
  REFUSED_V4_RANGES,
  REFUSED_V6_RANGES,
  resolveTarget,
  TargetRefused,
} from './webhook-address';

describe('addressRefusal (SPEC §11.4)', () => {
  const refused: Array<[string, RegExp]> = [
    ['127.0.0.1', /loopback/],
    ['127.8.9.10', /loopback/],
    ['::1', /loopback/],
    ['::ffff:127.0.0.1', /loopback/],
    ['10.0.0.1', /private/],
    ['172.16.5.4', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['::ffff:192.168.1.1', /private/],
    ['fc00::1', /unique local/],
    ['fd12:3456::1', /unique local/],
    ['169.254.1.1', /link-local/],
    ['fe80::1', /link-local/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.254', /carrier-grade NAT/],
    ['169.254.169.254', /metadata/],
    ['fd00:ec2::254', /metadata/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['64:ff9b::a00:1', /NAT64/],
  ];
  for (const [address, reason] of refused) {
    it(`refuses ${address}`, () => {
      assert.match(addressRefusal(address) ?? '', reason);
    });
  }

  for (const address of [
    '93.184.215.14',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
  ]) {
    it(`allows the public address ${address}`, () => {
      assert.equal(addressRefusal(address), null);
    });
  }
});

describe('addressRefusal wording: every refused range in words, never ipaddr.js names', () => {
  // One address of each range the check refuses, and the whole sentence a refusal makes.
  const v4: Record<keyof typeof REFUSED_V4_RANGES, [string, string]> = {
    unspecified: ['0.0.0.0', '0.0.0.0 is an unspecified address (0.0.0.0/8)'],
    broadcast: ['255.255.255.255', '255.255.255.255 is the broadcast address (255.255.255.255)'],
    multicast: ['239.1.2.3', '239.1.2.3 is a multicast address (224.0.0.0/4)'],
    linkLocal: ['169.254.1.1', '169.254.1.1 is a link-local address (169.254.0.0/16)'],
    loopback: ['127.0.0.1', '127.0.0.1 is a loopback address (127.0.0.0/8)'],
    carrierGradeNat: ['100.64.0.1', '100.64.0.1 is a carrier-grade NAT address (100.64.0.0/10)'],
    private: ['10.1.2.3', '10.1.2.3 is a private address (RFC 1918)'],
    reserved: [
      '192.0.2.1',
      '192.0.2.1 is a reserved address (documentation, benchmarking or future use)',
    ],
  };
  const v6: Record<keyof typeof REFUSED_V6_RANGES, [string, string]> = {
    unspecified: ['::', ':: is the unspecified address (::)'],
    linkLocal: ['fe80::1', 'fe80::1 is a link-local address (fe80::/10)'],
    multicast: ['ff02::1', 'ff02::1 is a multicast address (ff00::/8)'],
    loopback: ['::1', '::1 is the loopback address (::1)'],
    uniqueLocal: [
      'fd12::1',
      'fd12::1 is a unique local address (fc00::/7), the IPv6 private range',
    ],
    deprecatedSiteLocal: ['fec0::1', 'fec0::1 is a site-local address (fec0::/10)'],
    discard: ['100::1', '100::1 is a discard-only address (100::/64)'],
    rfc6145: ['::ffff:0:a00:1', '::ffff:0:a00:1 is an IPv4-translated address (RFC 6145)'],
    rfc6052: ['64:ff9b::a00:1', '64:ff9b::a00:1 is a NAT64 address (RFC 6052)'],
    '6to4': ['2002:a00:1::1', '2002:a00:1::1 is a 6to4 address (2002::/16)'],
    teredo: ['2001::1', '2001::1 is a Teredo address (2001::/32)'],
    reserved: ['2001:db8::1', '2001:db8::1 is a reserved address (documentation or future use)'],
  };

  it('has a sample for every refused range name', () => {
    assert.deepEqual(Object.keys(v4).sort(), Object.keys(REFUSED_V4_RANGES).sort());
    assert.deepEqual(Object.keys(v6).sort(), Object.keys(REFUSED_V6_RANGES).sort());
  });

  for (const [kind, samples] of [
    ['IPv4', v4],
    ['IPv6', v6],
  ] as const) {
    for (const [range, [address, sentence]] of Object.entries(samples)) {
      it(`words the ${kind} range ${range} (${address})`, () => {
        assert.equal(ipaddr.parse(address).range(), range, 'the sample is in that range');
        const refusal = addressRefusal(address);
        assert.equal(`${address} is ${refusal ?? 'allowed'}`, sentence);
        assert.doesNotMatch(refusal ?? '', /\b(a [aeio]|[a-z]+[A-Z]\w*|rfc\d)/);
      });
    }
  }

  it('names cloud metadata addresses as such', () => {
    assert.equal(addressRefusal('169.254.169.254'), 'a cloud metadata address');
    assert.equal(addressRefusal('fd00:ec2::254'), 'a cloud metadata address');
  });
});

describe('addressRefusal: IPv6 forms of IPv4 addresses are judged as the IPv4 address', () => {
  for (const [address, sentence] of [
    ['::127.0.0.1', 'the IPv4-compatible form of 127.0.0.1, a loopback address (127.0.0.0/8)'],
    ['::7f00:1', 'the IPv4-compatible form of 127.0.0.1, a loopback address (127.0.0.0/8)'],
    ['::10.0.0.1', 'the IPv4-compatible form of 10.0.0.1, a private address (RFC 1918)'],
    ['::169.254.169.254', 'the IPv4-compatible form of 169.254.169.254, a cloud metadata address'],
    [
      '::100.64.0.1',
      'the IPv4-compatible form of 100.64.0.1, a carrier-grade NAT address (100.64.0.0/10)',
    ],
    ['::0.0.0.2', 'the IPv4-compatible form of 0.0.0.2, an unspecified address (0.0.0.0/8)'],
    ['::ffff:127.0.0.1', 'the IPv4-mapped form of 127.0.0.1, a loopback address (127.0.0.0/8)'],
    ['::ffff:a9fe:a9fe', 'the IPv4-mapped form of 169.254.169.254, a cloud metadata address'],
  ]) {
    it(`refuses ${address}`, () => {
      assert.equal(addressRefusal(address), sentence);
    });
  }

  it('keeps :: and ::1 as IPv6’s own, and allows the forms of public IPv4 addresses', () => {
    assert.equal(addressRefusal('::'), 'the unspecified address (::)');
    assert.equal(addressRefusal('::1'), 'the loopback address (::1)');
    assert.equal(addressRefusal('::1.1.1.1'), null);
    assert.equal(addressRefusal('::ffff:1.1.1.1'), null);
  });
});

describe('resolveTarget', () => {
  const resolver =
    (addresses: string[]) => (): Promise<Array<{ address: string; family: 4 | 6 }>> =>
      Promise.resolve(addresses.map((a) => ({ address: a, family: a.includes(':') ? 6 : 4 })));

  it('returns the checked address of a host resolving to public addresses', async () => {
    const target = await resolveTarget(
      new URL('https://hooks.example.com/x'),
      false,
      resolver(['93.184.215.14']),
    );
    assert.deepEqual(target, { address: '93.184.215.14', family: 4 });
  });

  it('refuses a host when any of its addresses is private', async () => {
    await assert.rejects(
      resolveTarget(
        new URL('https://rebind.example.com/x'),
        false,
        resolver(['93.184.215.14', '10.1.2.3']),
      ),
      (error: unknown) =>
        error instanceof TargetRefused && /resolves to 10\.1\.2\.3, a private/.test(error.message),
    );
  });

  it('refuses literal addresses without resolving, IPv6 in brackets too', async () => {
    const never = (): never => assert.fail('must not resolve a literal');
    await assert.rejects(
      resolveTarget(new URL('http://127.0.0.1:8080/'), false, never),
      /loopback/,
    );
    await assert.rejects(resolveTarget(new URL('http://[::1]/'), false, never), /loopback/);
    await assert.rejects(
      resolveTarget(new URL('http://[::127.0.0.1]:8080/'), false, never),
      /^Error: ::7f00:1 is the IPv4-compatible form of 127\.0\.0\.1, a loopback address/,
    );
  });

  it('refuses a host resolving to an IPv4-compatible form of a private address', async () => {
    await assert.rejects(
      resolveTarget(new URL('https://rebind.example.com/x'), false, resolver(['::a00:1'])),
      (error: unknown) =>
        error instanceof TargetRefused &&
        error.message ===
          'rebind.example.com resolves to ::a00:1, the IPv4-compatible form of 10.0.0.1, a private address (RFC 1918)',
    );
  });

  it('refuses a host that does not resolve', async () => {
    const failing = (): Promise<never> =>
      Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
    await assert.rejects(
      resolveTarget(new URL('https://nowhere.invalid/'), false, failing),
      /does not resolve \(ENOTFOUND\)/,
    );
  });

  it('allows private addresses with WEBHOOK_ALLOW_PRIVATE', async () => {
    const target = await resolveTarget(new URL('http://127.0.0.1:9/'), true);
    assert.deepEqual(target, { address: '127.0.0.1', family: 4 });
  });
});
