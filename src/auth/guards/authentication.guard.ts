import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Authenticator } from '../authenticator.service';
import { AuthFailures } from '../auth-failures';
import { SettingsService } from '../../settings/settings.service';
import { AUTH_METADATA, RouteAccess } from '../decorators/auth.decorator';
import { ApiError } from '../../common/errors/api-error';
import { RequestErrors } from '../auth-errors';
import { contextOf, TesseraRequest } from '../request-context';
import { Metrics } from '../../metrics/metrics.service';
import { fixedMetadata } from '../../common/metadata/fixed-metadata';

/** The access declaration of the route a request reached (the handler's, else its class's). */
export function routeAccess(context: ExecutionContext): RouteAccess | undefined {
  return fixedMetadata.getAllAndOverride<RouteAccess | undefined>(AUTH_METADATA, [
    context.getHandler(),
    context.getClass(),
  ]);
}

/**
 * First global guard: is the API on, and who is calling? Routes without an access declaration
 * are refused.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly settings: SettingsService,
    private readonly failures: AuthFailures,
    private readonly metrics: Metrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = routeAccess(context);
    if (!access) {
      // Fail closed: a route nobody declared access for is not public by accident.
      throw new ApiError(403, 'forbidden', 'This route has no access policy.');
    }
    if (access.public || !access.auth) {
      return true;
    }
    const apiEnabled = (await this.settings.get()).restApiEnabled;
    if (!apiEnabled && !access.auth.apiSwitch) {
      throw RequestErrors.apiDisabled();
    }
    const request = context.switchToHttp().getRequest<TesseraRequest>();
    // A valid token is served even from an address blocked for failures (SPEC §12): the block is
    // decided only once a credential failed. Passwords were counted before they were verified.
    const principal = await this.authenticator
      .authenticate(request, {
        allowTwoFactorPassword: access.auth.twoFactorManagement,
        adminRescue: access.auth.apiSwitch,
      })
      .catch(async (error: unknown) => {
        throw await this.failures.settle(request, error, apiEnabled);
      });
    this.metrics.authOutcome(principal.method, 'ok');
    if (
      !apiEnabled &&
      !(
        principal.method === 'basic_password' &&
        principal.user.isAdmin &&
        !principal.impersonatedBy
      )
    ) {
      // Only an admin's own password can switch the API back on.
      throw RequestErrors.apiDisabled();
    }
    contextOf(request).principal = principal;
    return true;
  }
}
