import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { routeAccess } from '../auth/guards/authentication.guard';
import { AdminPageOnly, SignInRequired } from './page-refusals';
import { rememberPageRequest } from './session-user.decorator';
import { SessionUserService } from './session-user.service';
import { SudoService } from './sudo.service';

/**
 * Global guard for @Page() routes (others pass untouched): finds the session's user for
 * @SessionUser(), or refuses with what PageExceptionFilter turns into a /login redirect, a 403
 * page or the password confirmation of a sensitive action (sudo mode).
 */
@Injectable()
export class PageSessionGuard implements CanActivate {
  constructor(
    private readonly users: SessionUserService,
    private readonly sudo: SudoService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const page = routeAccess(context)?.page;
    if (!page) {
      return true;
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const current = await this.users.current(request);
    const me = current ? this.users.principalOf(current.user) : null;
    if (!current || !me) {
      // A form posted after the session ended returns to its page, not to the POST address.
      throw new SignInRequired(
        request.method === 'GET' ? request.url : (page.home?.path ?? request.url),
      );
    }
    rememberPageRequest(request, { me, page, sessionId: current.session.id });
    if (page.admin && !me.user.isAdmin) {
      throw new AdminPageOnly(me);
    }
    if (page.sudo && request.method !== 'GET' && request.method !== 'HEAD') {
      await this.sudo.check(request, me, current.session);
    }
    return true;
  }
}
