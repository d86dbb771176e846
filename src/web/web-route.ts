import { RouteConfig } from '@nestjs/platform-fastify';
import { FastifyRequest } from 'fastify';

/**
 * What a browser route declares to the Fastify hooks (through its route config, so that the hooks
 * decide on the route the router matched, never on the raw request target, which may be
 * percent-encoded or in absolute form).
 */
export interface WebRouteConfig {
  /** A state-changing request must carry the session's CSRF token. */
  csrf?: boolean;
  /** A page: a failed CSRF check is answered with an HTML page, not JSON. */
  page?: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The route config of a form route that is not a @Page() (/login, /logout, OAuth consent). */
export function FormRoute(): MethodDecorator {
  return RouteConfig({ csrf: true } satisfies WebRouteConfig);
}

/** The web declarations of the route the router matched (none for an unmatched request). */
export function webRouteOf(request: FastifyRequest): WebRouteConfig {
  return (request.routeOptions.config ?? {}) as WebRouteConfig;
}

/** Whether this request must carry a CSRF token: a state-changing request to a form route. */
export function needsCsrf(request: FastifyRequest): boolean {
  return !SAFE_METHODS.has(request.method) && webRouteOf(request).csrf === true;
}
