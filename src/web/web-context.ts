import { FastifyReply } from 'fastify';

export function csrfToken(reply: FastifyReply): string {
  return reply.generateCsrf();
}

const MAX_RETURN_TO = 4000;

/**
 * Where to send the browser after sign-in: `value` resolved against the public base URL with the
 * WHATWG URL parser (as a browser resolves a Location), kept only when it stays on this origin;
 * anything else goes to the home page (no open redirect). The result is the normalised path, query
 * and fragment: control characters are dropped and non-ASCII percent-encoded, as a browser would,
 * so it is always a valid Location header.
 */
export function safeReturnTo(value: unknown, publicUrl: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_RETURN_TO) {
    return '/';
  }
  let base: URL;
  let target: URL;
  try {
    base = new URL(publicUrl);
    target = new URL(value, base);
  } catch {
    return '/';
  }
  if (target.origin !== base.origin || target.username !== '' || target.password !== '') {
    return '/';
  }
  const local = `${target.pathname}${target.search}${target.hash}`;
  // A path that starts with two slashes would name another host when sent back as a Location.
  return local.startsWith('//') || local.length > MAX_RETURN_TO ? '/' : local;
}

export function sendHtml(reply: FastifyReply, status: number, html: string): void {
  void reply
    .status(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .send(html);
}
