import { FastifyReply, FastifyRequest } from 'fastify';

/** The signed-in user of the browser session, if any. */
export function sessionUserId(request: FastifyRequest): string | undefined {
  return request.session.get('user_id');
}

export function csrfToken(reply: FastifyReply): string {
  return reply.generateCsrf();
}

/** Only local paths: never send a browser to another site after sign-in (open redirect). */
export function safeReturnTo(value: unknown): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    value.startsWith('//') ||
    value.includes('\\')
  ) {
    return '/';
  }
  return value.slice(0, 4000);
}

export function sendHtml(reply: FastifyReply, status: number, html: string): void {
  void reply
    .status(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .send(html);
}
