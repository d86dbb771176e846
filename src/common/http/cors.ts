import cors, { FastifyCorsOptions } from '@fastify/cors';
import { FastifyInstance, FastifyRequest } from 'fastify';

// SPEC §3: what a browser page on an allowed origin may send and read. Cookies never: no
// Access-Control-Allow-Credentials, so a page can only use credentials it holds itself.
const ALLOWED_HEADERS = [
  'Authorization',
  'X-API-Key',
  'X-Redmine-API-Key',
  'X-Workspace-Id',
  'Content-Type',
];
const EXPOSED_HEADERS = [
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'X-Quota-Limit',
  'X-Quota-Remaining',
  'X-Quota-Reset',
  'X-Token-Expires-At',
  'Retry-After',
  'WWW-Authenticate',
  'X-Request-Id',
];
const OAUTH_PATHS = new Set(['/oauth/token', '/oauth/revoke', '/oauth/introspect']);

/** The API and the OAuth endpoints a browser client needs; never the pages or the consent. */
function isCorsPath(url: string): boolean {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path === '/api/v1' || path.startsWith('/api/v1/') || OAUTH_PATHS.has(path);
}

/**
 * CORS through @fastify/cors, for the listed origins on the API paths only; every other origin
 * and path gets no CORS headers (and a preflight there is the usual 404). Not registered at
 * all without origins, so the default costs nothing per request.
 */
export async function registerCors(fastify: FastifyInstance, origins: string[]): Promise<void> {
  if (origins.length === 0) {
    return;
  }
  const allowed = new Set(origins);
  // The delegator below decides which origin and path get CORS; the library then reflects it.
  const enabled: FastifyCorsOptions = {
    origin: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
  };
  const disabled: FastifyCorsOptions = { origin: false };
  await fastify.register(cors, {
    delegator: (
      request: FastifyRequest,
      callback: (error: Error | null, options: FastifyCorsOptions) => void,
    ) => {
      const origin = request.headers.origin;
      callback(
        null,
        origin !== undefined && allowed.has(origin) && isCorsPath(request.url) ? enabled : disabled,
      );
    },
  });
}
