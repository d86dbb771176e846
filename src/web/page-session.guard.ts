import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { routeAccess } from '../auth/guards/authentication.guard';
import { AdminPageOnly, SignInRequired } from './page-refusals';
import { rememberPageRequest } from './session-user.decorator';
import { SessionUserService } from './session-user.service';

/**
 * Global guard for @Page() routes (others pass untouched): finds the session's user for
 * @SessionUser(), or refuses with what PageExceptionFilter turns into a /login redirect or a
 * 403 page.
 */
@Injectable()
export class PageSessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: SessionUserService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const page = routeAccess(this.reflector, context)?.page;
    if (!page) {
      return true;
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const me = await this.users.principal(request);
    if (!me) {
      // A form posted after the session ended returns to its page, not to the POST address.
      throw new SignInRequired(
        request.method === 'GET' ? request.url : (page.home?.path ?? request.url),
      );
    }
    rememberPageRequest(request, { me, page });
    if (page.admin && !me.user.isAdmin) {
      throw new AdminPageOnly(me);
    }
    return true;
  }
}
