import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Authenticator } from '../../auth/authenticator.service';
import { AUTH_METADATA, RouteAccess } from '../decorators/auth.decorator';
import { ApiError } from '../errors/api-error';
import { contextOf, TesseraRequest } from '../http/request-context';

export function routeAccess(
  reflector: Reflector,
  context: ExecutionContext,
): RouteAccess | undefined {
  return reflector.getAllAndOverride<RouteAccess | undefined>(AUTH_METADATA, [
    context.getHandler(),
    context.getClass(),
  ]);
}

/** First global guard: who is calling? Routes without an access declaration are refused. */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = routeAccess(this.reflector, context);
    if (!access) {
      // Fail closed: a route nobody declared access for is not public by accident.
      throw new ApiError(403, 'forbidden', 'This route has no access policy.');
    }
    if (access.public) {
      return true;
    }
    const request = context.switchToHttp().getRequest<TesseraRequest>();
    contextOf(request).principal = await this.authenticator.authenticate(request);
    return true;
  }
}
