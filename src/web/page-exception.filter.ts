import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { PageLink } from '../auth/decorators/auth.decorator';
import { ApiError } from '../common/errors/api-error';
import { AdminPageOnly, SignInRequired, SudoRequired } from './page-refusals';
import { HiddenField, SecurityViews } from './security-views';
import { SUDO_FIELD } from './sudo.service';
import { pageRequestOf } from './session-user.decorator';
import { Views } from './views';
import { sendHtml } from './web-context';
import { formBody, PageError, pageErrorOf } from './web-forms';
import { pageContext, sendProblem } from './web-pages';

const TOKENS_HOME: PageLink = { path: '/account/tokens', label: 'Back to your API tokens' };

/**
 * Turns what a @Page() route refuses into what a browser needs: a /login redirect, the admins-only
 * 403 page, or a page that says in a sentence what went wrong (coded API errors included, SPEC §3
 * codes never reach the page). Other errors go on to the global filter.
 */
@Catch(SignInRequired, AdminPageOnly, SudoRequired, PageError, ApiError)
export class PageExceptionFilter implements ExceptionFilter {
  catch(
    error: SignInRequired | AdminPageOnly | SudoRequired | PageError | ApiError,
    host: ArgumentsHost,
  ): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (error instanceof SudoRequired) {
      sudoForm(request, reply, error);
      return;
    }
    if (error instanceof SignInRequired) {
      void reply.redirect(`/login?return_to=${encodeURIComponent(error.returnTo)}`, 303);
      return;
    }
    if (error instanceof AdminPageOnly) {
      sendHtml(
        reply,
        403,
        Views.message(pageContext(error.me, reply, 'Not allowed', 'admin'), {
          heading: 'Only instance administrators can open this page',
          message:
            'Your account is not an instance administrator. Ask one if you need a setting changed.',
          link: TOKENS_HOME.path,
          linkText: TOKENS_HOME.label,
        }),
      );
      return;
    }
    if (error instanceof ApiError) {
      void reply.headers(error.headers); // Retry-After and the like still apply
    }
    const problem = pageErrorOf(error);
    const found = pageRequestOf(request);
    const title = problem.status === 404 ? 'Not found' : 'That did not work';
    const home = found?.page.home ?? TOKENS_HOME;
    sendProblem(
      reply,
      found
        ? pageContext(found.me, reply, title, found.page.admin ? 'admin' : 'tokens')
        : { title },
      problem.status,
      problem.message,
      { link: home.path, text: home.label },
    );
  }
}

/**
 * The password confirmation of a sensitive action: it posts the same form (its fields kept as
 * hidden inputs, escaped by Handlebars) back to the same address, with the password.
 */
function sudoForm(request: FastifyRequest, reply: FastifyReply, error: SudoRequired): void {
  const fields: HiddenField[] = [];
  for (const [name, value] of Object.entries(formBody(request))) {
    if (name === '_csrf' || name === SUDO_FIELD) {
      continue;
    }
    for (const item of [value].flat()) {
      if (typeof item === 'string') {
        fields.push({ name, value: item });
      }
    }
  }
  const target = new URL(request.url, 'http://localhost');
  const home = pageRequestOf(request)?.page.home ?? TOKENS_HOME;
  void reply.headers(error.headers);
  sendHtml(
    reply,
    error.headers['Retry-After'] !== undefined ? 429 : 403,
    SecurityViews.sudo(pageContext(error.me, reply, 'Confirm your password', 'tokens'), {
      action: `${target.pathname}${target.search}`,
      fields,
      cancel: home.path,
      error: error.problem,
    }),
  );
}
