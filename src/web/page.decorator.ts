import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { declareAccess, PageLink } from '../auth/decorators/auth.decorator';
import { WebRouteConfig } from './web-route';

export interface PageOptions {
  /** Instance administrators only; other signed-in users get a 403 page. */
  admin?: boolean;
  /** Where a signed-out POST returns after sign-in, and the problem page's way back. */
  home?: PageLink;
  /**
   * A sensitive action (SPEC §12 "sudo mode"): a POST asks for the password again when the
   * session's last password entry is older than 15 minutes, then continues with the same form.
   */
  sudo?: boolean;
}

/**
 * A browser page for the signed-in user of the session cookie (SPEC §10). PageSessionGuard sends
 * a signed-out browser to /login (or shows admins-only pages' 403); PageExceptionFilter renders
 * refusals. The API guards let it through: pages never read API credentials.
 */
export function Page(options: PageOptions = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    declareAccess('page', {
      public: false,
      page: { admin: options.admin ?? false, home: options.home, sudo: options.sudo ?? false },
    }),
    ApiExcludeEndpoint(),
    // Every state-changing page request carries the session's CSRF token (src/web/web-session.ts).
    RouteConfig({ csrf: true, page: true } satisfies WebRouteConfig),
  );
}
