import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, Get, RequestMethod, Type } from '@nestjs/common';
import {
  EXCEPTION_FILTERS_METADATA,
  METHOD_METADATA,
  PATH_METADATA,
} from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import {
  ACCESS_DECLARATIONS,
  AccessKind,
  AUTH_METADATA,
  AuthRouteConfig,
  Public,
  RouteAccess,
} from '../../src/auth/decorators/auth.decorator';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { Page } from '../../src/web/page.decorator';
import { WebRouteConfig } from '../../src/web/web-route';
import { PageExceptionFilter } from '../../src/web/page-exception.filter';
import { startTestApp, TestApp } from '../support/test-app';

interface RouteHandler {
  route: string;
  access: RouteAccess | undefined;
  /** @Auth(), @Public() and @Page() found on the handler and its controller. */
  declarations: AccessKind[];
  /** Exception filters of the handler and its controller. */
  filters: unknown[];
  /** The Fastify route config the hooks read (CSRF, page, API credentials). */
  config: (WebRouteConfig & AuthRouteConfig) | undefined;
}

/** Every route handler of the given controllers, with the access declaration the guards read. */
function routeHandlers(controllers: Type[]): RouteHandler[] {
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const out: RouteHandler[] = [];
  // Path metadata is a string or, for routes with several paths, an array of strings.
  const paths = (target: object): string[] | undefined => {
    const value = Reflect.getMetadata(PATH_METADATA, target) as string | string[] | undefined;
    return value === undefined ? undefined : [value].flat();
  };
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    const bases = paths(controller) ?? [''];
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as (...args: unknown[]) => unknown;
      const routePaths = paths(handler);
      if (routePaths === undefined) {
        continue; // a helper method, not a route
      }
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      // Same lookup as AuthenticationGuard: the handler first, then the controller class.
      const access = reflector.getAllAndOverride<RouteAccess | undefined>(AUTH_METADATA, [
        handler,
        controller,
      ]);
      const own = (key: string, target: object): unknown[] =>
        (Reflect.getOwnMetadata(key, target) as unknown[] | undefined) ?? [];
      const declarations = [
        ...own(ACCESS_DECLARATIONS, handler),
        ...own(ACCESS_DECLARATIONS, controller),
      ] as AccessKind[];
      const filters = [
        ...own(EXCEPTION_FILTERS_METADATA, handler),
        ...own(EXCEPTION_FILTERS_METADATA, controller),
      ];
      for (const base of bases) {
        for (const path of routePaths) {
          const url = `${base}/${path}`.split('/').filter(Boolean).join('/');
          out.push({
            route: `${method} /${url} (${controller.name}.${name})`,
            access,
            declarations,
            filters,
            config: Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as
              (WebRouteConfig & AuthRouteConfig) | undefined,
          });
        }
      }
    }
  }
  return out;
}

// What the meta-test must catch: a route nobody declared access for.
@Controller('meta-test-undeclared')
class UndeclaredController {
  @Get()
  forgotten(): string {
    return 'nobody said who may call this';
  }
}

// ... and one that says two things at once (the outer declaration would silently win).
@Controller('meta-test-twice')
class TwiceDeclaredController {
  @Get()
  @Public()
  @Page()
  confused(): string {
    return 'public or a page?';
  }
}

type OpenApiOperation = {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, unknown>;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  'x-required-scope'?: string;
};

// Public operations under /api/v1, each a deliberate exception (SPEC §11.6).
const PUBLIC_API_OPERATIONS = new Set(['POST /api/v1/tokens/revoke-leaked']);

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('Routes and API documentation', () => {
  let t: TestApp;
  let openapi: {
    openapi: string;
    components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
    paths: Record<string, Record<string, OpenApiOperation>>;
  };
  const operations = (): Array<{ id: string; path: string; op: OpenApiOperation }> =>
    Object.entries(openapi.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method]) => HTTP_METHODS.includes(method))
        .map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, path, op })),
    );

  before(async () => {
    t = await startTestApp();
    const res = await t.http().get('/api/docs-json');
    assert.equal(res.status, 200);
    openapi = res.body;
  });
  after(() => t.close());

  const appRoutes = (): RouteHandler[] => {
    const discovery = new DiscoveryService(t.app.get(ModulesContainer));
    const controllers = discovery
      .getControllers()
      .map((wrapper) => wrapper.metatype as Type | null)
      .filter((metatype): metatype is Type => Boolean(metatype));
    return routeHandlers(controllers);
  };

  describe('access declarations', () => {
    it('every route handler declares exactly one of @Auth(), @Public() or @Page()', () => {
      const routes = appRoutes();
      assert.ok(routes.length >= 30, `expected the whole API, found ${routes.length} routes`);
      assert.ok(routes.some((r) => r.route.startsWith('GET /health/live ')));
      assert.ok(routes.some((r) => r.route.startsWith('POST /api/v1/tokens ')));
      const undeclared = routes.filter((r) => r.access === undefined).map((r) => r.route);
      assert.deepEqual(
        undeclared,
        [],
        `routes without @Auth(), @Public() or @Page():\n${undeclared.join('\n')}`,
      );
      const notOne = routes
        .filter((r) => r.declarations.length !== 1)
        .map((r) => `${r.route}: ${r.declarations.join(', ') || 'none'}`);
      assert.deepEqual(notOne, [], 'each route says who may call it exactly once');
    });

    it('pages are browser routes with their session guard’s filter, never /api/v1', () => {
      const pages = appRoutes().filter((r) => r.access?.page);
      assert.ok(pages.length >= 15, `expected the account and admin pages, found ${pages.length}`);
      assert.ok(pages.some((r) => r.route.startsWith('GET /admin/settings ')));
      assert.ok(pages.some((r) => r.route.startsWith('POST /account/tokens ')));
      assert.deepEqual(
        pages.filter((r) => r.route.includes(' /api/')).map((r) => r.route),
        [],
      );
      assert.deepEqual(
        pages.filter((r) => !r.filters.includes(PageExceptionFilter)).map((r) => r.route),
        [],
        'a @Page() route needs PageExceptionFilter to turn its refusals into pages',
      );
    });

    it('every state-changing browser route requires the CSRF token, by its route config', () => {
      // The OAuth client endpoints authenticate the client, not a browser session (RFC 6749).
      const clientEndpoints = ['/oauth/token ', '/oauth/revoke ', '/oauth/introspect '];
      const writes = appRoutes().filter(
        (r) =>
          !/^(GET|HEAD|OPTIONS) /.test(r.route) &&
          !r.route.includes(' /api/') &&
          !clientEndpoints.some((p) => r.route.includes(p)),
      );
      assert.ok(writes.length >= 10, `expected the page forms, found ${writes.length}`);
      assert.ok(writes.some((r) => r.route.startsWith('POST /login ')));
      assert.ok(writes.some((r) => r.route.startsWith('POST /oauth/authorize ')));
      assert.deepEqual(
        writes.filter((r) => r.config?.csrf !== true).map((r) => r.route),
        [],
        'a browser form route needs @Page() or @FormRoute(), which turn on the CSRF check',
      );
    });

    it('every @Auth() route, and only those, tells the early refusal hook by its route config', () => {
      const routes = appRoutes();
      const auth = routes.filter((r) => r.access?.auth);
      assert.ok(auth.length >= 30, `expected the API, found ${auth.length} @Auth() routes`);
      assert.deepEqual(
        auth.filter((r) => r.config?.apiCredentials !== true).map((r) => r.route),
        [],
        'an @Auth() route whose config lost apiCredentials (a RouteConfig() over it?) is refused only by the guard',
      );
      assert.deepEqual(
        routes.filter((r) => !r.access?.auth && r.config?.apiCredentials).map((r) => r.route),
        [],
      );
    });

    it('only the health probes are public under /api/v1 and /health', () => {
      const publicApi = appRoutes()
        .filter((r) => r.access?.public && r.route.includes(' /api/v1/'))
        .map((r) => r.route);
      assert.deepEqual(
        publicApi,
        // The one deliberate exception: anyone may report leaked tokens (SPEC §11.6).
        ['POST /api/v1/tokens/revoke-leaked (LeakedTokensController.revokeLeaked)'],
        'a public /api/v1 route must be a deliberate exception',
      );
    });

    it('would catch a route without a declaration', () => {
      const routes = routeHandlers([UndeclaredController]);
      assert.deepEqual(
        routes.map((r) => [r.route, r.access]),
        [['GET /meta-test-undeclared (UndeclaredController.forgotten)', undefined]],
      );
      assert.deepEqual(routes[0].declarations, []);
    });

    it('would catch a route with two declarations', () => {
      const [route] = routeHandlers([TwiceDeclaredController]);
      assert.deepEqual(route.declarations.sort(), ['page', 'public']);
    });
  });

  describe('GET /api/docs', () => {
    it('serves Swagger UI as HTML without credentials', async () => {
      const res = await t.http().get('/api/docs');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /text\/html/);
      assert.match(res.text, /swagger/i);
    });
  });

  describe('GET /api/docs-json', () => {
    it('is an OpenAPI 3 document with bearer and basic security schemes', () => {
      assert.match(openapi.openapi, /^3\./);
      const schemes = openapi.components.securitySchemes;
      assert.equal(schemes.bearer?.type, 'http');
      assert.equal(schemes.bearer?.scheme, 'bearer');
      assert.equal(schemes.basic?.type, 'http');
      assert.equal(schemes.basic?.scheme, 'basic');
    });

    it('only names security schemes that components.securitySchemes defines', () => {
      const defined = Object.keys(openapi.components.securitySchemes);
      const dangling = operations().flatMap(({ id, op }) =>
        (op.security ?? [])
          .flatMap((entry) => Object.keys(entry))
          .filter((name) => !defined.includes(name))
          .map((name) => `${id}: ${name}`),
      );
      assert.deepEqual([...new Set(dangling)], []);
    });

    it('documents the whole /api/v1 surface', () => {
      const ids = operations().map((o) => o.id);
      for (const expected of [
        'GET /api/v1/me',
        'POST /api/v1/tokens',
        'POST /api/v1/tokens/{id}/rotate',
        'DELETE /api/v1/tokens/{id}',
        'GET /api/v1/workspaces',
        'POST /api/v1/projects',
        'POST /api/v1/projects/{projectId}/issues',
        'PATCH /api/v1/issues/{id}',
        'GET /api/v1/admin/users',
      ]) {
        assert.ok(ids.includes(expected), `${expected} is missing from the OpenAPI document`);
      }
    });

    it('gives every /api/v1 operation security, its scope and its 401/403 responses', () => {
      const api = operations().filter(
        (o) => o.path.startsWith('/api/v1/') && !PUBLIC_API_OPERATIONS.has(o.id),
      );
      assert.ok(api.length >= 25, `expected the whole API, found ${api.length} operations`);
      const problems: string[] = [];
      for (const { id, op } of api) {
        const schemes = (op.security ?? []).flatMap((entry) => Object.keys(entry));
        if (!schemes.includes('bearer') || !schemes.includes('basic')) {
          problems.push(`${id}: security ${JSON.stringify(op.security)}`);
        }
        if (!['read', 'write', 'delete', 'admin'].includes(op['x-required-scope'] ?? '')) {
          problems.push(`${id}: x-required-scope ${String(op['x-required-scope'])}`);
        }
        for (const status of ['401', '403']) {
          if (!op.responses[status]) {
            problems.push(`${id}: no ${status} response`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });

    it('declares the scope each method needs (read for GET, delete for DELETE)', () => {
      for (const { id, path, op } of operations()) {
        if (
          !path.startsWith('/api/v1/') ||
          path.startsWith('/api/v1/admin/') ||
          PUBLIC_API_OPERATIONS.has(id)
        ) {
          continue;
        }
        const method = id.split(' ')[0];
        const expected = { GET: 'read', POST: 'write', PATCH: 'write', PUT: 'write' }[method];
        assert.equal(op['x-required-scope'], expected ?? 'delete', id);
      }
    });

    it('documents X-Workspace-Id on workspace-scoped operations', () => {
      const scoped = operations().filter(
        ({ id, path }) =>
          !PUBLIC_API_OPERATIONS.has(id) &&
          ['/api/v1/projects', '/api/v1/issues', '/api/v1/tokens'].some(
            (prefix) => path === prefix || path.startsWith(`${prefix}/`),
          ),
      );
      assert.ok(scoped.length >= 16, `expected the scoped routes, found ${scoped.length}`);
      const missing = scoped
        .filter(
          ({ op }) =>
            !(op.parameters ?? []).some(
              (p) => p.in === 'header' && p.name.toLowerCase() === 'x-workspace-id',
            ),
        )
        .map(({ id }) => id);
      assert.deepEqual(missing, []);
    });

    it('leaves the leaked-token intake without security and without X-Workspace-Id', () => {
      const op = openapi.paths['/api/v1/tokens/revoke-leaked']?.post;
      assert.deepEqual(op?.security, []);
      assert.ok(!(op?.parameters ?? []).some((p) => p.name.toLowerCase() === 'x-workspace-id'));
    });

    it('leaves the health probes without security', () => {
      // `security: []`: no credentials needed (an absent list would mean "unspecified").
      for (const path of ['/health/live', '/health/ready']) {
        assert.deepEqual(openapi.paths[path]?.get?.security, [], path);
      }
    });
  });
});
