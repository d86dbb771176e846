import { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { ApiError, validationFailed } from '../errors/api-error';
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

const NOT_JSON_MESSAGE = 'The body is not valid JSON; send a JSON object.';

/** secure-json-parse's refusal of both `__proto__` and `constructor.prototype`. */
const FORBIDDEN_KEY = 'Object contains forbidden prototype property';
const PROTOTYPE_KEY_MESSAGE =
  'The body contains a "__proto__" key or a "constructor" object with a "prototype"; neither is accepted at any depth.';

/**
 * Fastify's own JSON parser (registered with `app.useBodyParser`), with one difference: its
 * refusal of prototype-polluting keys (secure-json-parse, the same library and rules) says so,
 * naming the key in `details`, instead of claiming the JSON is malformed.
 */
export function parseJsonBody(
  _request: unknown,
  raw: Buffer,
  done: (error: Error | null, body?: unknown) => void,
): void {
  if (raw.length === 0) {
    // No body at all, only the header (clients that set Content-Type on every request): as if
    // none had been sent. A DELETE or a bodyless POST works; a route that needs a body refuses
    // it field by field.
    done(null, undefined);
    return;
  }
  let value: unknown;
  try {
    value = secureJson.parse(raw, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    done(
      (error as Error).message === FORBIDDEN_KEY
        ? validationFailed(
            [{ field: '__proto__', message: PROTOTYPE_KEY_MESSAGE }],
            PROTOTYPE_KEY_MESSAGE,
          )
        : validationFailed([{ field: 'body', message: NOT_JSON_MESSAGE }], NOT_JSON_MESSAGE),
    );
    return;
  }
  done(null, value);
}
