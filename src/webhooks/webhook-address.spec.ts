import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressRefusal, resolveTarget, TargetRefused } from './webhook-address';

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
    ['fc00::1', /uniqueLocal/],
    ['fd12:3456::1', /uniqueLocal/],
    ['169.254.1.1', /linkLocal/],
    ['fe80::1', /linkLocal/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['100.64.0.1', /carrierGradeNat/],
    ['100.127.255.254', /carrierGradeNat/],
    ['169.254.169.254', /metadata/],
    ['fd00:ec2::254', /metadata/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['64:ff9b::a00:1', /rfc6052/],
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
