import { FastifyReply, FastifyRequest } from 'fastify';
import { AuthPrincipal } from '../auth/auth-types';
import { SessionUserService } from './session-user.service';
import { PageContext, Views } from './views';
import { csrfToken, sendHtml } from './web-context';

export type Section = 'tokens' | 'admin';

/** The signed-in pages' context: title, user, CSRF token for the forms, navigation. */
export function pageContext(
  me: AuthPrincipal,
  reply: FastifyReply,
  title: string,
  section: Section,
): PageContext {
  return {
    title,
    user: me.user.username,
    csrf: csrfToken(reply),
    nav: { isAdmin: me.user.isAdmin, tokens: section === 'tokens', admin: section === 'admin' },
  };
}

/**
 * The session's user, or null after sending the browser to /login (which comes back to
 * `returnTo`, by default the page asked for). With `admin`, non-admins get a 403 page.
 */
export async function requireSession(
  users: SessionUserService,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { admin?: boolean; returnTo?: string } = {},
): Promise<AuthPrincipal | null> {
  const me = await users.principal(request);
  if (!me) {
    const returnTo = options.returnTo ?? request.url;
    void reply.redirect(`/login?return_to=${encodeURIComponent(returnTo)}`, 303);
    return null;
  }
  if (options.admin && !me.user.isAdmin) {
    sendHtml(
      reply,
      403,
      Views.message(pageContext(me, reply, 'Not allowed', 'admin'), {
        heading: 'Only instance administrators can open this page',
        message:
          'Your account is not an instance administrator. Ask one if you need a setting changed.',
        link: '/account/tokens',
        linkText: 'Back to your API tokens',
      }),
    );
    return null;
  }
  return me;
}

/** A page that only says what went wrong, with a way back. */
export function sendProblem(
  reply: FastifyReply,
  ctx: PageContext,
  status: number,
  message: string,
  back: { link: string; text: string },
): void {
  sendHtml(
    reply,
    status,
    Views.message(ctx, {
      heading: status === 404 ? 'Not found' : 'That did not work',
      message,
      link: back.link,
      linkText: back.text,
    }),
  );
}
