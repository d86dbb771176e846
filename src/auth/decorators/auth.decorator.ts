import { applyDecorators, SetMetadata } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { FastifyRequest } from 'fastify';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiExtension,
  ApiHeader,
  ApiOAuth2,
  ApiSecurity,
} from '@nestjs/swagger';
import { Permission } from '../../workspaces/roles-and-plans';
import { Scope } from '../auth-types';

export const AUTH_METADATA = 'tessera:auth';

/** Where a route finds its workspace: the X-Workspace-Id header or a path parameter. */
export type WorkspaceSource = 'header' | { param: string };

export interface RouteAuth {
  /** Token scope the route needs (SPEC §5). */
  scope: Scope;
  /** Permission the caller's role must grant in the workspace (SPEC §6). */
  permission?: Permission;
  workspace?: WorkspaceSource;
  /** Instance administrators only (SPEC §8). */
  instanceAdmin?: boolean;
  /** Instance tokens (no workspace) may call this header route without X-Workspace-Id. */
  allowInstanceToken?: boolean;
  /** Works on plans without API access (workspace management itself, revoking a token). */
  anyPlan?: boolean;
  /** A write that still works while billing is read-only (revoking a token). */
  anyBilling?: boolean;
  /** Open to an API token its workspace's token policy no longer allows (revoking a token). */
  anyTokenPolicy?: boolean;
  /** Not refused by, nor counted against, the rate limit and quota (revoking a token). */
  anyLimit?: boolean;
  /** Needs a password credential, not a token (managing 2FA, SPEC §8). */
  passwordOnly?: boolean;
  /** Accepts the password of a user with 2FA on: the route checks a TOTP code itself. */
  twoFactorManagement?: boolean;
  /** Still reachable by an admin's password while rest_api_enabled is off (SPEC §8). */
  apiSwitch?: boolean;
}

/** A link back to where a page's work starts, for sign-in returns and problem pages. */
export interface PageLink {
  path: string;
  label: string;
}

/** A browser page behind the session cookie (src/web/): the API guards let it through. */
export interface PageAccess {
  /** Instance administrators only; others get a 403 page. */
  admin: boolean;
  /** Where a signed-out POST returns after sign-in, and the problem page's way back. */
  home?: PageLink;
  /** Its POSTs ask for the password again when the last one is older than 15 minutes. */
  sudo?: boolean;
}

export interface RouteAccess {
  public: boolean;
  auth?: RouteAuth;
  page?: PageAccess;
}

/** Which declarations a handler or controller carries; the meta-test wants exactly one. */
export const ACCESS_DECLARATIONS = 'tessera:access-declarations';

export type AccessKind = 'auth' | 'public' | 'page';

/**
 * Sets the access metadata the guards read, and notes the declaration: stacked declarations
 * would silently override each other.
 */
export function declareAccess(
  kind: AccessKind,
  access: RouteAccess,
): MethodDecorator & ClassDecorator {
  const metadata = SetMetadata(AUTH_METADATA, access);
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    const holder: object = descriptor ? (descriptor.value as object) : target;
    const kinds = Reflect.getOwnMetadata(ACCESS_DECLARATIONS, holder) as AccessKind[] | undefined;
    Reflect.defineMetadata(ACCESS_DECLARATIONS, [...(kinds ?? []), kind], holder);
    if (descriptor && key !== undefined) {
      metadata(target, key, descriptor);
    } else {
      (metadata as ClassDecorator)(target as () => void);
    }
  };
}

/** What an @Auth() route tells the Fastify hooks, through its Fastify route config. */
export interface AuthRouteConfig {
  /**
   * The route authenticates API credentials: a lone malformed token is refused before Nest's
   * pipeline (`src/auth/early-refusal.ts`) with the answer AuthenticationGuard would give.
   */
  apiCredentials?: true;
}

/** The auth declarations of the route the router matched (none for an unmatched request). */
export function authRouteOf(request: FastifyRequest): AuthRouteConfig {
  return (request.routeOptions.config ?? {}) as AuthRouteConfig;
}

/**
 * Adds `config` to a handler's Fastify route config, keeping what other decorators put there.
 * On a class it does nothing: hooks then leave the decision to the guards.
 */
function addRouteConfig(config: AuthRouteConfig): MethodDecorator & ClassDecorator {
  return (_target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (!descriptor) {
      return;
    }
    const handler = descriptor.value as object;
    const current = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as
      object | undefined;
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...current, ...config }, handler);
  };
}

/**
 * Declares who may call a route. Global guards enforce it; Swagger shows it (the error
 * responses it implies are added to the document from this declaration by src/openapi).
 * A route without @Auth(), @Public() or @Page() is refused (and fails the route meta-test).
 */
export function Auth(options: RouteAuth): MethodDecorator & ClassDecorator {
  const decorators: Array<MethodDecorator & ClassDecorator> = [
    declareAccess('auth', { public: false, auth: options }),
    addRouteConfig({ apiCredentials: true }),
    ApiBearerAuth('bearer'),
    ApiSecurity('api-key'),
    ApiSecurity('query-key'),
    ApiBasicAuth('basic'),
    ApiOAuth2([options.scope], 'oauth2'),
    ApiExtension('x-required-scope', options.scope),
  ];
  if (options.permission) {
    decorators.push(ApiExtension('x-required-permission', options.permission));
  }
  if (options.workspace === 'header') {
    decorators.push(
      ApiHeader({
        name: 'X-Workspace-Id',
        required: !options.allowInstanceToken,
        description: options.allowInstanceToken
          ? 'Workspace the request acts in (optional for instance tokens).'
          : 'Workspace the request acts in; must match the token’s workspace.',
      }),
    );
  }
  return applyDecorators(...decorators);
}

/** A route anyone may call without credentials. */
export function Public(): MethodDecorator & ClassDecorator {
  return declareAccess('public', { public: true });
}
