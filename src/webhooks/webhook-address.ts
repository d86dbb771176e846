import ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

// Where a webhook may not point (SPEC §11.4): requests from inside the network to the
// network itself (SSRF). ipaddr.js names the ranges; everything else is a public unicast address.
const REFUSED_V4 = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'carrierGradeNat',
  'private',
  'reserved',
]);
const REFUSED_V6 = new Set([
  'unspecified',
  'linkLocal',
  'multicast',
  'loopback',
  'uniqueLocal',
  'deprecatedSiteLocal',
  'discard',
  // These embed or tunnel to an IPv4 address that could be a private one.
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
  'reserved',
]);
/** Cloud metadata services (AWS, GCP, Azure, …): named as such in the refusal. */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254']);

/**
 * The one decision on a webhook target address: why Tessera will not connect to it (loopback,
 * private, link-local, metadata…), or null when it is a public address. Pure; create, PATCH
 * (400 webhook_url_not_allowed) and every delivery attempt (a refused attempt) ask it.
 */
export function addressRefusal(address: string): string | null {
  if (!ipaddr.isValid(address)) {
    return 'not an IP address';
  }
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const normal = parsed.toString();
  if (METADATA.has(normal)) {
    return 'a cloud metadata address';
  }
  const range = parsed.range();
  const refused = parsed.kind() === 'ipv4' ? REFUSED_V4 : REFUSED_V6;
  return refused.has(range) ? `a ${range} address` : null;
}

/** The address a delivery connects to, as checked. */
export interface TargetAddress {
  address: string;
  family: 4 | 6;
}

/** Why a URL cannot be a target, with the address that decided it (for messages and logs). */
export class TargetRefused extends Error {}

export type Resolver = (host: string) => Promise<TargetAddress[]>;

export const dnsResolver: Resolver = async (host) => {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Resolves the URL's host and checks every address it resolves to (one private address among
 * public ones is enough to refuse: the resolver could hand out either). Returns the address to
 * connect to, so that a second resolution (DNS rebinding) cannot swap in another.
 */
export async function resolveTarget(
  url: URL,
  allowPrivate: boolean,
  resolve: Resolver = dnsResolver,
): Promise<TargetAddress> {
  const host = hostOf(url);
  let addresses: TargetAddress[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new TargetRefused(
        `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'DNS error'})`,
      );
    }
    if (addresses.length === 0) {
      throw new TargetRefused(`${host} does not resolve`);
    }
  }
  if (!allowPrivate) {
    for (const { address } of addresses) {
      const refusal = addressRefusal(address);
      if (refusal) {
        throw new TargetRefused(
          address === host ? `${host} is ${refusal}` : `${host} resolves to ${address}, ${refusal}`,
        );
      }
    }
  }
  return addresses[0];
}
