import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { AuthPrincipal } from '../auth/auth-types';
import { PageAccess } from '../auth/decorators/auth.decorator';

export interface PageRequest {
  me: AuthPrincipal;
  page: PageAccess;
  /** The server-side session of the cookie (src/sessions). */
  sessionId: string;
}

// Kept apart from the API's request context: pages are not counted by the API rate limit.
const pageRequests = new WeakMap<FastifyRequest, PageRequest>();

export function rememberPageRequest(request: FastifyRequest, value: PageRequest): void {
  pageRequests.set(request, value);
}

/** The signed-in user and page declaration PageSessionGuard found, if it ran. */
export function pageRequestOf(request: FastifyRequest): PageRequest | undefined {
  return pageRequests.get(request);
}

/** The signed-in user of a @Page() route (PageSessionGuard has checked the session). */
export const SessionUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthPrincipal => {
    const found = pageRequestOf(ctx.switchToHttp().getRequest<FastifyRequest>());
    if (!found) {
      throw new Error('@SessionUser() needs a @Page() route.');
    }
    return found.me;
  },
);
