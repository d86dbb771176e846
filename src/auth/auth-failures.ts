import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { Metrics } from '../metrics/metrics.service';
import { RequestErrors } from './auth-errors';

/**
 * What a request whose credentials were refused is answered with. AuthenticationGuard and the
 * early refusal of malformed tokens (`early-refusal.ts`) both end here, so a refusal is counted
 * and reported the same way wherever it was decided.
 */
@Injectable()
export class AuthFailures {
  constructor(
    private readonly failedAuth: FailedAuthLimiter,
    private readonly metrics: Metrics,
  ) {}

  /**
   * `error` counted against the client address (a 429 instead once the address is blocked, SPEC
   * §12), replaced by the API switch's refusal while the API is off, and counted in the metrics.
   */
  async settle(request: FastifyRequest, error: unknown, apiEnabled: boolean): Promise<unknown> {
    const thrown = await this.failedAuth
      .countFailure(error, FailedAuthLimiter.address(request.ip))
      .then(
        // With the API off, the settings route tells nobody but the admin anything else.
        (refusal) => (apiEnabled ? refusal : RequestErrors.apiDisabled()),
        (failure: unknown) => failure,
      );
    this.metrics.authFailure(request, thrown);
    return thrown;
  }
}
