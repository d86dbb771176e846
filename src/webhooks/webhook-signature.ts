import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tessera-Signature (SPEC §11.4): `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * The timestamp is signed with the body so that a captured delivery cannot be replayed later
 * with a fresh time; receivers check both.
 */
export function signatureHeader(secret: string, timestamp: number, rawBody: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/**
 * What a receiver does (the README's snippet, in code): true when `header` signs `rawBody`
 * with `secret` and its time is within `toleranceSeconds` of `now`.
 */
export function verifySignature(
  secret: string,
  header: string,
  rawBody: string,
  toleranceSeconds = 300,
  now = Date.now(),
): boolean {
  const parts = new Map(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i), p.slice(i + 1)] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > toleranceSeconds) {
    return false;
  }
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return v1.length === expected.length && timingSafeEqual(Buffer.from(v1), Buffer.from(expected));
}
