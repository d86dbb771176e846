import { FastifyInstance } from 'fastify';
import { sendError } from '../common/filters/api-exception.filter';
import { SettingsService } from '../settings/settings.service';
import { AuthErrors } from './auth-errors';
import { AuthFailures } from './auth-failures';
import { Authenticator } from './authenticator.service';
import { PresentedCredential, presentedCredentials } from './credentials';
import { authRouteOf } from './decorators/auth.decorator';

/**
 * Refuses a lone malformed token (a typo, a truncated paste, a guess: wrong shape or checksum)
 * in an onRequest hook, before Nest's pipeline runs: the same 401 `invalid_token`, counted
 * against the client address and in the metrics through the same `AuthFailures`, at a fraction
 * of the cost (issue 16: a refusal should not cost more than a trivial route).
 *
 * It answers only where AuthenticationGuard's answer is certain to be that same refusal: a
 * route that authenticates API credentials (its @Auth() route config), with the API on (the
 * settings in memory), and exactly one credential that `Authenticator.isLoneMalformedToken`
 * refuses. Anything else goes on to the guards as before. One difference in order: such a
 * request is refused before its body is read, so a malformed token with an unreadable body is
 * a 401 rather than a 400 or 415.
 */
export function registerEarlyRefusal(
  fastify: FastifyInstance,
  authenticator: Authenticator,
  settings: SettingsService,
  failures: AuthFailures,
): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!authRouteOf(request).apiCredentials || !settings.cached()?.restApiEnabled) {
      done();
      return;
    }
    let credentials: PresentedCredential[];
    try {
      credentials = presentedCredentials(request);
    } catch {
      done(); // a malformed Authorization header and the like: the guard's answer
      return;
    }
    if (!authenticator.isLoneMalformedToken(credentials)) {
      done();
      return;
    }
    failures.settle(request, AuthErrors.malformedToken(), true).then(
      (refusal) => sendError(request, reply, refusal),
      (error: Error) => done(error),
    );
  });
}
