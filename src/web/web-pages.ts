import { FastifyReply } from 'fastify';
import { AuthPrincipal } from '../auth/auth-types';
import { PageContext, Views } from './views';
import { csrfToken, sendHtml } from './web-context';

export type Section = 'tokens' | 'admin' | 'sessions' | 'password' | 'applications';

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
    nav: {
      isAdmin: me.user.isAdmin,
      tokens: section === 'tokens',
      admin: section === 'admin',
      sessions: section === 'sessions',
      password: section === 'password',
      applications: section === 'applications',
    },
  };
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
