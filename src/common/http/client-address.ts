import { FastifyInstance } from 'fastify';
import ipaddr from 'ipaddr.js';

/**
 * An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack listener on `::` reports
 * for an IPv4 client, or what a proxy may forward) in its IPv4 form; any other address as it is.
 * One client is then one address in allow-lists, refusal messages, logs, the request log and
 * `last_used_ips` (SPEC §11.1, §11.2).
 */
export function plainAddress(ip: string): string {
  if (ip.length < 8 || (ip.charCodeAt(0) !== 58 /* : */ && ip.charCodeAt(0) !== 48) /* 0 */) {
    return ip;
  }
  try {
    const parsed = ipaddr.parse(ip);
    return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
      ? (parsed as ipaddr.IPv6).toIPv4Address().toString()
      : ip;
  } catch {
    return ip;
  }
}

/**
 * First onRequest hook: `request.ip` (the socket's address, or the one TRUST_PROXY picks from
 * X-Forwarded-For) is the plain address for everything after it. Requests from ordinary
 * addresses keep Fastify's getter untouched.
 */
export function registerClientAddress(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const ip = request.ip;
    if (ip !== undefined) {
      const plain = plainAddress(ip);
      if (plain !== ip) {
        Object.defineProperty(request, 'ip', { value: plain, enumerable: true });
      }
    }
    done();
  });
}
