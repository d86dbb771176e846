import ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

// Where a webhook may not point (SPEC §11.4): requests from inside the network to the
// network itself (SSRF). Keys are ipaddr.js's range names, values what a refusal says about
// them ("<address> is …"); every other range is an address Tessera connects to.
export const REFUSED_V4_RANGES: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address (0.0.0.0/8)',
  broadcast: 'the broadcast address (255.255.255.255)',
  multicast: 'a multicast address (224.0.0.0/4)',
  linkLocal: 'a link-local address (169.254.0.0/16)',
  loopback: 'a loopback address (127.0.0.0/8)',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private address (RFC 1918)',
  reserved: 'a reserved address (documentation, benchmarking or future use)',
};
export const REFUSED_V6_RANGES: Readonly<Record<string, string>> = {
  unspecified: 'the unspecified address (::)',
  linkLocal: 'a link-local address (fe80::/10)',
  multicast: 'a multicast address (ff00::/8)',
  loopback: 'the loopback address (::1)',
  uniqueLocal: 'a unique local address (fc00::/7), the IPv6 private range',
  deprecatedSiteLocal: 'a site-local address (fec0::/10)',
  discard: 'a discard-only address (100::/64)',
  // These embed or tunnel to an IPv4 address that could be a private one.
  rfc6145: 'an IPv4-translated address (RFC 6145)',
  rfc6052: 'a NAT64 address (RFC 6052)',
  '6to4': 'a 6to4 address (2002::/16)',
  teredo: 'a Teredo address (2001::/32)',
  reserved: 'a reserved address (documentation or future use)',
};
/** Cloud metadata services (AWS, GCP, Azure, …): named as such in the refusal. */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254']);

/**
 * The IPv4 address an IPv6 one stands for, and in which form: IPv4-mapped (::ffff:a.b.c.d) or
 * the deprecated IPv4-compatible form (::a.b.c.d, RFC 4291 §2.5.5.1; :: and ::1 excepted, which
 * are IPv6's own). Null for any other IPv6 address.
 */
function embeddedIPv4(address: ipaddr.IPv6): { v4: ipaddr.IPv4; form: string } | null {
  if (address.isIPv4MappedAddress()) {
    return { v4: address.toIPv4Address(), form: 'IPv4-mapped' };
  }
  const parts = address.parts;
  const high = parts.slice(0, 6).every((p) => p === 0);
  const ownV6 = parts[6] === 0 && (parts[7] === 0 || parts[7] === 1);
  if (high && !ownV6) {
    const bytes = address.toByteArray().slice(12);
    return { v4: new ipaddr.IPv4(bytes), form: 'IPv4-compatible' };
  }
  return null;
}

/**
 * An IPv6 address whose last 32 bits are written as an IPv4 address, with them in hex
 * ("::127.0.0.1" → "::7f00:1"): ipaddr.js would read "::a.b.c.d" as IPv4-mapped.
 */
function withHexTail(address: string): string {
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (!dotted || !ipaddr.IPv4.isValidFourPartDecimal(dotted[2])) {
    return address;
  }
  const [a, b, c, d] = ipaddr.IPv4.parse(dotted[2]).octets;
  return `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** Why an address of this kind is refused, or null. */
function refusalOf(parsed: ipaddr.IPv4 | ipaddr.IPv6): string | null {
  if (METADATA.has(parsed.toString())) {
    return 'a cloud metadata address';
  }
  const ranges = parsed.kind() === 'ipv4' ? REFUSED_V4_RANGES : REFUSED_V6_RANGES;
  const range = parsed.range();
  return Object.hasOwn(ranges, range) ? ranges[range] : null;
}

/**
 * The one decision on a webhook target address: why Tessera will not connect to it (loopback,
 * private, link-local, metadata…), worded to follow "<address> is", or null when it is a
 * public address. An IPv6 address that stands for an IPv4 one is judged as that IPv4 address.
 * Pure; create, PATCH (400 webhook_url_not_allowed) and every delivery attempt (a refused
 * attempt) ask it.
 */
export function addressRefusal(address: string): string | null {
  if (!ipaddr.isValid(address)) {
    return 'not an IP address';
  }
  const parsed = ipaddr.parse(withHexTail(address));
  const embedded = parsed.kind() === 'ipv6' ? embeddedIPv4(parsed as ipaddr.IPv6) : null;
  if (!embedded) {
    return refusalOf(parsed);
  }
  const refusal = refusalOf(embedded.v4);
  return refusal && `the ${embedded.form} form of ${embedded.v4.toString()}, ${refusal}`;
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
