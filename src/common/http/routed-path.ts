import { FastifyRequest } from 'fastify';

/**
 * Whether the request was routed to the JSON API. Decided on the route the router matched, never
 * on the raw request target: `/%61pi/v1/tokens` and `http://host/api/v1/tokens` reach the same
 * route as `/api/v1/tokens`.
 */
export function isApiRoute(request: FastifyRequest): boolean {
  const path = request.routeOptions.url;
  return path !== undefined && path.startsWith('/api/');
}
