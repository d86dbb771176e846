import { INestApplication } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import {
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { AUTH_METADATA, RouteAccess, RouteAuth } from '../auth/decorators/auth.decorator';
import { OAUTH_SCHEMAS } from './oauth-docs';
import { operationIdFor } from './operation-ids';

/** What the document post-processor needs to know about one route. */
export interface RouteFacts {
  access: RouteAccess | undefined;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type HttpMethod = (typeof HTTP_METHODS)[number];

/** The access declaration (@Auth/@Public) of every controller route, by operationId. */
export function routeFacts(app: INestApplication): Map<string, RouteFacts> {
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const out = new Map<string, RouteFacts>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller || typeof controller !== 'function') {
        continue;
      }
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as (...args: unknown[]) => unknown;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) {
          continue;
        }
        const access = reflector.getAllAndOverride<RouteAccess | undefined>(AUTH_METADATA, [
          handler,
          controller,
        ]);
        out.set(operationIdFor(controller.name, name), { access });
      }
    }
  }
  return out;
}

// Reusable response headers (components.headers).
const HEADERS: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description: 'The request’s id, as logged (quote it when asking for support).',
    schema: { type: 'string' },
  },
  'RateLimit-Limit': {
    description:
      'Requests this credential may make per window (when rate limiting is on: RATE_LIMIT_REQUESTS or the token’s rate_limit).',
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in the current window.',
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Reset': {
    description: 'Seconds until the window resets.',
    schema: { type: 'integer', minimum: 0 },
  },
  'X-Quota-Limit': {
    description:
      'On requests of a token with a quota (SPEC §11.1): requests it may make per quota period.',
    schema: { type: 'integer', minimum: 0 },
  },
  'X-Quota-Remaining': {
    description: 'Requests left in the token’s current quota period.',
    schema: { type: 'integer', minimum: 0 },
  },
  'X-Quota-Reset': {
    description: 'Seconds until the quota period (a UTC day or month) ends.',
    schema: { type: 'integer', minimum: 0 },
  },
  'Cache-Control': {
    description: 'no-store: API answers are per credential and may carry secrets.',
    schema: { type: 'string', enum: ['no-store'] },
  },
  Pragma: {
    description: 'no-cache, beside Cache-Control: no-store, for HTTP/1.0 caches (RFC 6749 §5.1).',
    schema: { type: 'string', enum: ['no-cache'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    required: true,
    schema: { type: 'integer', minimum: 0 },
  },
  'X-Token-Expires-At': {
    description: 'When the API or OAuth token that authenticated this request expires.',
    schema: { type: 'string', format: 'date-time' },
  },
  Deprecation: {
    description:
      'On requests authenticated with a legacy X-AUTH-* API password: when they were deprecated (RFC 9745, e.g. @1763942400).',
    schema: { type: 'string' },
  },
  Sunset: {
    description:
      'On legacy X-AUTH-* requests, once an administrator has set legacy_auth_sunset_at: the HTTP date after which they are refused (RFC 8594).',
    schema: { type: 'string' },
  },
  Link: {
    description: 'On legacy X-AUTH-* requests: the migration guide, rel="deprecation".',
    schema: { type: 'string' },
  },
  'WWW-Authenticate': {
    description:
      'The Bearer challenge (RFC 6750 §3), with error="invalid_token" when a credential was refused; refused passwords add a Basic challenge.',
    required: true,
    schema: { type: 'string' },
  },
  'WWW-Authenticate-Scope': {
    description: 'On insufficient_scope: Bearer error="insufficient_scope" and the scope needed.',
    schema: { type: 'string' },
  },
};

const headerRef = (name: string): ReferenceObject => ({ $ref: `#/components/headers/${name}` });

const WRITE_METHODS = new Set<HttpMethod>(['post', 'put', 'patch', 'delete']);

/** Which codes an authenticated route can answer with, per status. */
function errorCodesFor(
  auth: RouteAuth,
  method: HttpMethod,
  hasPathParams: boolean,
  hasJsonBody: boolean,
  hasQuery: boolean,
  conflicts: readonly string[],
  forbiddenExtra: readonly string[],
  checksTokenPolicy: boolean,
  checksWebhookUrl: boolean,
): Map<number, string[]> {
  // A write may carry a body whatever its operation reads: Fastify parses it (415 when it is
  // not JSON, 413 when too large, 400 when it is broken JSON).
  const takesBody = hasJsonBody || WRITE_METHODS.has(method);
  const hasInput = takesBody || hasQuery;
  const codes = new Map<number, string[]>();
  const workspaceInHeader = auth.workspace === 'header';
  codes.set(400, [
    ...(hasInput || workspaceInHeader ? ['validation_failed'] : []),
    'ambiguous_credentials',
    ...(workspaceInHeader ? ['workspace_required'] : []),
    ...(hasPathParams ? ['malformed_request'] : []),
    ...(checksTokenPolicy ? ['policy_violation'] : []),
    ...(checksWebhookUrl ? ['webhook_url_not_allowed'] : []),
  ]);
  codes.set(401, [
    'missing_credentials',
    'invalid_token',
    'token_revoked',
    'token_expired',
    'invalid_credentials',
    'two_factor_required',
    'legacy_auth_removed',
  ]);
  if (auth.workspace && !auth.anyBilling && WRITE_METHODS.has(method)) {
    codes.set(402, ['workspace_read_only']);
  }
  codes.set(403, [
    'insufficient_scope',
    'forbidden',
    'api_disabled',
    // a token's allowed_cidrs (SPEC §11.1)
    'ip_not_allowed',
    ...forbiddenExtra,
    ...(auth.workspace ? ['workspace_forbidden', 'workspace_mismatch'] : []),
    ...(auth.workspace && !auth.anyPlan ? ['plan_required'] : []),
    // An API token its workspace's token policy no longer allows (SPEC §11.3), on any route
    // a token may call, but revoking.
    ...(auth.anyTokenPolicy || auth.passwordOnly ? [] : ['policy_violation']),
  ]);
  if (hasPathParams) {
    codes.set(404, ['not_found']);
  }
  if (conflicts.length > 0) {
    codes.set(409, [...conflicts]);
  }
  codes.set(412, ['switch_user_invalid']);
  if (takesBody) {
    codes.set(413, ['payload_too_large']);
  }
  if (hasPathParams) {
    codes.set(414, ['uri_too_long']);
  }
  if (takesBody) {
    codes.set(415, ['unsupported_media_type']);
  }
  // A route outside the rate limit and quota still meets the failed-authentication block.
  codes.set(429, auth.anyLimit ? ['rate_limited'] : ['rate_limited', 'quota_exceeded']);
  // service_unavailable: a password or 2FA code while the failed-auth counters do not answer
  // (it is refused rather than checked uncounted).
  codes.set(503, ['database_unavailable', 'service_unavailable']);
  return codes;
}

/** Operations with 403 codes of their own, beyond those of every authenticated route. */
const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  createProject: ['project_not_allowed'],
};

/** Operations that can answer 409, and with which codes (from their services). */
const CONFLICTS: Readonly<Record<string, readonly string[]>> = {
  createProject: ['conflict'],
  updateProject: ['conflict'],
  createUser: ['conflict'],
  updateUser: ['conflict'],
  addMember: ['conflict'],
  updateMember: ['conflict'],
  removeMember: ['conflict'],
  createToken: ['token_limit_reached'],
  createServiceAccountToken: ['token_limit_reached'],
  createPasswordResetLink: ['conflict'],
  adminResetTwoFactor: ['conflict'],
  rotateToken: ['conflict', 'token_limit_reached'],
  startTwoFactor: ['conflict'],
  confirmTwoFactor: ['conflict'],
  disableTwoFactor: ['conflict'],
  regenerateRecoveryCodes: ['conflict'],
};

/** Operations without an id in the path that still answer 404 (they look something up). */
const NOT_FOUND_WITHOUT_ID = new Set([
  'lookupToken',
  // not made with an API token (a password or an OAuth access token)
  'getCurrentToken',
]);

/** Operations that make or change a token, checked against the workspace's token policy (400). */
const TOKEN_POLICY_CHECKED = new Set(['createToken', 'rotateToken', 'updateToken']);

/** Operations that set a webhook's URL, refused on private addresses (400, SPEC §11.4). */
const WEBHOOK_URL_CHECKED = new Set(['createWebhook', 'updateWebhook']);

const SUMMARY: Record<number, string> = {
  400: 'The request is not valid',
  401: 'Not authenticated',
  402: 'The workspace is read-only until its billing is settled',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflicts with the current state',
  412: 'X-Switch-User names no active user',
  413: 'The body is too large',
  414: 'A path segment is too long',
  415: 'The body is not JSON',
  429: 'Too many requests',
  503: 'The database does not answer; retry shortly',
};

function errorResponse(
  status: number,
  codes: string[],
  headers: Record<string, HeaderObject | ReferenceObject>,
): ResponseObject {
  return {
    description: `${SUMMARY[status] ?? 'Error'}: ${codes.join(', ')}`,
    headers,
    content: {
      'application/json': {
        schema: {
          allOf: [
            { $ref: '#/components/schemas/ApiErrorResponse' },
            { type: 'object', properties: { code: { type: 'string', enum: codes } } },
          ],
        },
      },
    },
  };
}

/** The headers every response of an authenticated route may carry. */
function authenticatedHeaders(status: number): Record<string, ReferenceObject> {
  const out: Record<string, ReferenceObject> = {
    'X-Request-Id': headerRef('X-Request-Id'),
    'Cache-Control': headerRef('Cache-Control'),
  };
  const authenticated = status < 400 || ![401, 413, 415].includes(status);
  if (status < 300 || status === 429) {
    for (const name of [
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'X-Quota-Limit',
      'X-Quota-Remaining',
      'X-Quota-Reset',
    ]) {
      out[name] = headerRef(name);
    }
  }
  if (status === 429 || status === 503) {
    out['Retry-After'] = headerRef('Retry-After');
  }
  if (status === 401) {
    out['WWW-Authenticate'] = headerRef('WWW-Authenticate');
  }
  if (status === 403) {
    out['WWW-Authenticate'] = headerRef('WWW-Authenticate-Scope');
  }
  if (authenticated) {
    out['X-Token-Expires-At'] = headerRef('X-Token-Expires-At');
  }
  if (status !== 413 && status !== 415) {
    out.Deprecation = headerRef('Deprecation');
    out.Sunset = headerRef('Sunset');
    out.Link = headerRef('Link');
  }
  return out;
}

function isReference(value: unknown): value is ReferenceObject {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

function hasJsonRequestBody(operation: OperationObject): boolean {
  const body = operation.requestBody;
  return !!body && !isReference(body) && body.content['application/json'] !== undefined;
}

/** Authenticated routes: every status the global guards, pipes and filters can answer. */
function completeAuthenticated(
  operation: OperationObject,
  auth: RouteAuth,
  method: HttpMethod,
  path: string,
): void {
  const id = operation.operationId ?? '';
  const codes = errorCodesFor(
    auth,
    method,
    path.includes('{'),
    hasJsonRequestBody(operation),
    (operation.parameters ?? []).some((p) => !isReference(p) && p.in === 'query'),
    CONFLICTS[id] ?? [],
    FORBIDDEN[id] ?? [],
    TOKEN_POLICY_CHECKED.has(id),
    WEBHOOK_URL_CHECKED.has(id),
  );
  if (NOT_FOUND_WITHOUT_ID.has(id)) {
    codes.set(404, ['not_found']);
  }
  const responses = operation.responses;
  for (const [status, response] of Object.entries(responses)) {
    if (response && Number(status) < 400 && !isReference(response)) {
      response.headers = { ...authenticatedHeaders(Number(status)), ...response.headers };
    }
  }
  for (const status of Object.keys(responses)) {
    // Replaced below by the complete list (the @Auth() decorator documents a rougher one).
    if (Number(status) >= 400 && !codes.has(Number(status))) {
      delete responses[status];
    }
  }
  for (const [status, list] of codes) {
    responses[String(status)] = errorResponse(status, list, authenticatedHeaders(status));
  }
  // An operation the ordering below keeps readable: successes first, then errors by status.
  operation.responses = Object.fromEntries(
    Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)),
  );
}

/** Public operations that read the database: 503 while it does not answer. */
const PUBLIC_DATABASE_READERS = new Set([
  'oauthToken',
  'getOAuthTokenInfo',
  'oauthRevoke',
  'oauthIntrospect',
  'revokeLeakedTokens',
]);

/** OAuth endpoints that authenticate a client: failures count toward the address's limit. */
const CLIENT_AUTHENTICATING = new Set(['oauthToken', 'oauthRevoke', 'oauthIntrospect']);

/** Public routes declare `security: []` and carry X-Request-Id on every response. */
function completePublic(operation: OperationObject, path: string): void {
  operation.security = [];
  const id = operation.operationId ?? '';
  if (PUBLIC_DATABASE_READERS.has(operation.operationId ?? '')) {
    operation.responses['503'] = errorResponse(503, ['database_unavailable'], {
      'Retry-After': headerRef('Retry-After'),
    });
  }
  if (CLIENT_AUTHENTICATING.has(operation.operationId ?? '')) {
    operation.responses['429'] = {
      description: 'Too many failed client authentications from this address (error: rate_limited)',
      headers: {
        'Retry-After': headerRef('Retry-After'),
        'RateLimit-Limit': headerRef('RateLimit-Limit'),
        'RateLimit-Remaining': headerRef('RateLimit-Remaining'),
        'RateLimit-Reset': headerRef('RateLimit-Reset'),
      },
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } },
      },
    };
  }
  // The OAuth endpoints that answer with secrets or token facts (RFC 6749 §5.1) and every API
  // route say no-store.
  const noStore: Record<string, ReferenceObject> = CLIENT_AUTHENTICATING.has(id)
    ? { 'Cache-Control': headerRef('Cache-Control'), Pragma: headerRef('Pragma') }
    : path.startsWith('/api/')
      ? { 'Cache-Control': headerRef('Cache-Control') }
      : {};
  for (const response of Object.values(operation.responses)) {
    if (response && !isReference(response)) {
      response.headers = {
        'X-Request-Id': headerRef('X-Request-Id'),
        ...noStore,
        ...response.headers,
      };
    }
  }
}

/**
 * OpenAPI 3.0 reads `nullable` only beside `type`, and even then `allOf: [$ref]` beside it
 * still refuses null (the referenced object schema does). Such properties get the referenced
 * schema inlined, with `nullable: true`.
 */
function inlineNullableRefs(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const resolve = (ref: string): SchemaObject | undefined => {
    const target = schemas[ref.replace('#/components/schemas/', '')];
    return target && !isReference(target) ? target : undefined;
  };
  const inlined = new Set<string>();
  for (const schema of Object.values(schemas)) {
    if (isReference(schema)) {
      continue;
    }
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (isReference(property) || !property.nullable) {
        continue;
      }
      const only = property.allOf?.length === 1 ? property.allOf[0] : undefined;
      const target = only && isReference(only) ? resolve(only.$ref) : undefined;
      if (only && isReference(only) && target) {
        const copy: SchemaObject = { ...structuredClone(target), ...property, nullable: true };
        delete copy.allOf;
        schema.properties![name] = copy;
        inlined.add(only.$ref);
      }
    }
  }
  // A schema that was only used there is no longer referenced.
  const text = JSON.stringify(document);
  for (const ref of inlined) {
    if (!text.includes(`"${ref}"`)) {
      delete schemas[ref.replace('#/components/schemas/', '')];
    }
  }
}

/**
 * Request bodies: a field with a server-side default is optional, but code generators
 * (openapi-typescript) read `default` as "always present" and would make it required. The
 * default moves into the description.
 */
function describeRequestDefaults(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const requestSchemas = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const body = item[method]?.requestBody;
      const schema = body && !isReference(body) ? body.content['application/json']?.schema : null;
      if (schema && isReference(schema)) {
        requestSchemas.add(schema.$ref.replace('#/components/schemas/', ''));
      }
    }
  }
  for (const name of requestSchemas) {
    const schema = schemas[name];
    if (!schema || isReference(schema)) {
      continue;
    }
    for (const property of Object.values(schema.properties ?? {})) {
      if (isReference(property) || property.default === undefined) {
        continue;
      }
      const note = `Default: ${JSON.stringify(property.default)}.`;
      property.description = property.description ? `${property.description} ${note}` : note;
      delete property.default;
    }
  }
}

/** "expires_in_days or expires_at, one required" (SPEC §4), for the schema readers. */
function tokenExpiryChoice(document: OpenAPIObject): void {
  const schema = document.components?.schemas?.CreateTokenRequest;
  if (!schema || isReference(schema)) {
    return;
  }
  schema.description =
    'Give exactly one of expires_in_days and expires_at (every token expires); neither or both is 400 validation_failed.';
  schema.oneOf = [
    { title: 'ExpiresInDays', required: ['expires_in_days'] },
    { title: 'ExpiresAt', required: ['expires_at'] },
  ];
}

/** GET /oauth/authorize, a browser page (src/web/consent.controller.ts), for OAuth clients. */
function oauthAuthorize(document: OpenAPIObject): void {
  const query = (name: string, description: string, required = false, enumValues?: string[]) => ({
    name,
    in: 'query' as const,
    required,
    description,
    schema: enumValues ? { type: 'string', enum: enumValues } : { type: 'string' },
  });
  const html = (description: string): ResponseObject => ({
    description,
    headers: { 'X-Request-Id': headerRef('X-Request-Id') },
    content: { 'text/html': { schema: { type: 'string' } } },
  });
  document.paths['/oauth/authorize'] = {
    get: {
      operationId: 'oauthAuthorize',
      tags: ['oauth'],
      summary: 'Authorization endpoint (RFC 6749 §4.1, PKCE required): the consent page',
      description:
        'Opened in the user’s browser, not called by a program: signed-out users are sent to /login first; ' +
        'the decision redirects to redirect_uri with code and state, or with error.',
      security: [],
      parameters: [
        query('response_type', 'Always code.', true, ['code']),
        query('client_id', 'The application’s client id.', true),
        query('redirect_uri', 'One of the application’s registered redirect URIs.', true),
        query('scope', 'Space-separated scopes (default: all the application may ask for).'),
        query('state', 'Returned unchanged on the redirect.'),
        query('code_challenge', 'PKCE: BASE64URL(SHA-256(code_verifier)).', true),
        query('code_challenge_method', 'PKCE method.', true, ['S256']),
      ],
      responses: {
        '200': html('The consent page'),
        '303': {
          description:
            'To /login (signed out), or back to redirect_uri with error= (RFC 6749 §4.1.2.1)',
          headers: {
            Location: { description: 'Where to go', required: true, schema: { type: 'string' } },
            'X-Request-Id': headerRef('X-Request-Id'),
          },
        },
        '400': html('The request cannot be used (unknown client or redirect_uri)'),
      },
    },
  };
}

/**
 * Completes the document @nestjs/swagger builds from the decorators (SPEC §3 "The OpenAPI
 * document is complete"): the error responses and headers every route can answer with, from
 * its @Auth()/@Public() declaration; `security: []` on public routes; nullable references
 * that OpenAPI 3.0 reads as nullable; and the OAuth endpoints' schemas.
 */
export function completeDocument(
  document: OpenAPIObject,
  routes: Map<string, RouteFacts>,
): OpenAPIObject {
  document.components = document.components ?? {};
  document.components.headers = { ...document.components.headers, ...HEADERS };
  document.components.schemas = { ...document.components.schemas, ...OAUTH_SCHEMAS };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) {
        continue;
      }
      const access = routes.get(operation.operationId ?? '')?.access;
      if (access?.auth) {
        completeAuthenticated(operation, access.auth, method, path);
      } else {
        completePublic(operation, path);
      }
    }
  }
  oauthAuthorize(document);
  inlineNullableRefs(document);
  describeRequestDefaults(document);
  tokenExpiryChoice(document);
  return document;
}
