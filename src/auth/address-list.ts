import ipaddr from 'ipaddr.js';

/** One allowed block, in the family its address is matched in (IPv4-mapped IPv6 as IPv4). */
type Block = [ipaddr.IPv4, number] | [ipaddr.IPv6, number];

/** The most entries a token's `allowed_cidrs` may hold (SPEC §11.1). */
export const MAX_ALLOWED_CIDRS = 20;

/**
 * Reads one allow-list entry: an IPv4 or IPv6 address, or a CIDR block. IPv4-mapped IPv6
 * (`::ffff:10.0.0.1`, `::ffff:10.0.0.0/104`) becomes its IPv4 form, so that it matches an IPv4
 * client and is stored the way a person reads it. Returns null for anything else.
 */
function parseEntry(entry: string): Block | null {
  const [text, bitsText, ...rest] = entry.trim().split('/');
  if (rest.length > 0 || (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText))) {
    return null;
  }
  // Four-part decimal only: ipaddr.js also reads "10.1" or octal "010.0.0.1", which a person
  // writing an allow-list does not mean. Zone ids ("fe80::1%eth0") are not addresses here.
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    address = ipaddr.IPv4.parse(text);
  } else if (ipaddr.IPv6.isValid(text) && !text.includes('%')) {
    address = ipaddr.IPv6.parse(text);
  } else {
    return null;
  }
  const full = address instanceof ipaddr.IPv4 ? 32 : 128;
  const bits = bitsText === undefined ? full : Number(bitsText);
  if (bits > full) {
    return null;
  }
  if (address instanceof ipaddr.IPv6) {
    if (address.isIPv4MappedAddress() && bits >= 96) {
      return [address.toIPv4Address(), bits - 96];
    }
    return [address, bits];
  }
  return [address, bits];
}

/**
 * The canonical form of an entry as stored and shown: the network address and prefix, or the
 * address alone for a single host (`10.0.0.7/24` → `10.0.0.0/24`, `::ffff:1.2.3.4` → `1.2.3.4`,
 * `2001:DB8::1/128` → `2001:db8::1`). Null when the entry is not an address or block.
 */
export function canonicalEntry(entry: string): string | null {
  const block = parseEntry(entry);
  if (!block) {
    return null;
  }
  const [address, bits] = block;
  const full = address.kind() === 'ipv4' ? 32 : 128;
  if (bits === full) {
    return address.toString();
  }
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}

/** Whether `address` lies in the block `network/bits` (never across address families). */
function contains(
  network: ipaddr.IPv4 | ipaddr.IPv6,
  bits: number,
  address: ipaddr.IPv4 | ipaddr.IPv6,
): boolean {
  if (network instanceof ipaddr.IPv4 && address instanceof ipaddr.IPv4) {
    return address.match(network, bits);
  }
  if (network instanceof ipaddr.IPv6 && address instanceof ipaddr.IPv6) {
    return address.match(network, bits);
  }
  return false;
}

/** A parsed allow-list: built once when a token is loaded, matched on every request. */
export class AddressList {
  private constructor(private readonly blocks: readonly Block[]) {}

  /** Parses stored (canonical) entries; an entry that no longer parses matches nothing. */
  static of(entries: readonly string[]): AddressList {
    return new AddressList(
      entries.map((entry) => parseEntry(entry)).filter((b): b is Block => b !== null),
    );
  }

  /** Whether the client address (as Fastify resolved it, after TRUST_PROXY) is allowed. */
  allows(clientAddress: string): boolean {
    let client: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      client = ipaddr.process(clientAddress);
    } catch {
      return false;
    }
    for (const [network, bits] of this.blocks) {
      if (contains(network, bits, client)) {
        return true;
      }
    }
    return false;
  }

  /** Whether every address this list allows is also allowed by `outer` (block containment). */
  within(outer: AddressList): boolean {
    return this.blocks.every(([network, bits]) =>
      outer.blocks.some(([o, oBits]) => oBits <= bits && contains(o, oBits, network)),
    );
  }
}
