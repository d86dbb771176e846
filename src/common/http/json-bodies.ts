import { FastifyInstance } from 'fastify';
import { ApiError } from '../errors/api-error';
import { isApiRoute } from './routed-path';

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/**
 * The JSON API takes JSON bodies only (SPEC §3): a form-encoded or text body under /api/ is
 * refused with 415 before validation, instead of being read as if it were JSON. (The web pages
 * and the OAuth endpoints, outside /api/, keep their form bodies.) Decided on the matched route:
 * a percent-encoded or absolute-form request target reaches the same route.
 */
export function requireJsonBodies(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    if (
      request.body !== undefined &&
      isApiRoute(request) &&
      !JSON_TYPE.test(request.headers['content-type'] ?? '')
    ) {
      done(
        new ApiError(
          415,
          'unsupported_media_type',
          'Send the body as JSON, with Content-Type: application/json.',
        ),
      );
      return;
    }
    done();
  });
}
