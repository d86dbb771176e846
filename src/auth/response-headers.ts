import { FastifyInstance } from 'fastify';
import { AppConfig } from '../config/app-config';
import { SettingsService } from '../settings/settings.service';
import { isApiRoute } from '../common/http/routed-path';
import { TesseraRequest } from './request-context';
import { isoTime } from '../common/time/iso-time';

/** When X-AUTH-* API passwords were deprecated (RFC 9745 Deprecation header). */
const LEGACY_DEPRECATED_AT = new Date('2025-11-24T00:00:00Z');
export const LEGACY_MIGRATION_PATH = '/docs/migrating-from-api-passwords';

/**
 * Response headers that describe how a request authenticated:
 * - X-Token-Expires-At on token-authenticated responses (SPEC §4);
 * - Deprecation, Sunset and Link on legacy X-AUTH-* responses (RFC 9745, RFC 8594).
 */
export function registerResponseHeaders(
  fastify: FastifyInstance,
  config: AppConfig,
  settings: SettingsService,
): void {
  const deprecation = `@${Math.floor(LEGACY_DEPRECATED_AT.getTime() / 1000)}`;
  const link = `<${config.publicUrl}${LEGACY_MIGRATION_PATH}>; rel="deprecation"; type="text/html"`;

  // A callback hook: most responses need no await, and an async hook costs a promise each.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    reply.header('X-Request-Id', request.id);
    if (
      (isApiRoute(request) || request.url.startsWith('/api/')) &&
      !reply.hasHeader('Cache-Control')
    ) {
      // API answers may carry secrets (a new token) and are per credential: never cached. The
      // matched route decides (a percent-encoded path reaches it too); unmatched /api/ paths also.
      reply.header('Cache-Control', 'no-store');
    }
    const context = (request as TesseraRequest).tessera;
    if (context?.tokenExpiresAt) {
      reply.header('X-Token-Expires-At', isoTime(context.tokenExpiresAt));
    }
    // Whatever the answer, and whichever credential won: a request that sent an X-AUTH-* header
    // learns that they are deprecated.
    const legacy =
      request.headers['x-auth-token'] !== undefined ||
      request.headers['x-auth-user'] !== undefined ||
      context?.principal?.method === 'legacy_api_password';
    if (!legacy) {
      done(null, payload);
      return;
    }
    reply.header('Deprecation', deprecation);
    reply.header('Link', link);
    settings.get().then(
      ({ legacyAuthSunsetAt }) => {
        if (legacyAuthSunsetAt) {
          reply.header('Sunset', legacyAuthSunsetAt.toUTCString());
        }
        done(null, payload);
      },
      (error: Error) => done(error),
    );
  });
}
