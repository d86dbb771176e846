import assert from 'node:assert/strict';
import { after, before, describe, it, TestContext } from 'node:test';
import fc from 'fast-check';
import { Response } from 'supertest';
import {
  addMember,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, TestApp } from '../support/test-app';
import {
  Carrier,
  headerText,
  hostileCredential,
  hostileCredentials,
  HostileBody,
  hostileId,
  hostileNoiseHeaders,
  hostileQueryNoise,
  invalidQueryParam,
  oddString,
  poisonedBody,
  QueryPair,
  queryString,
} from './hostile-input';
import {
  ApiRoute,
  changedTables,
  contentDigest,
  fillPath,
  HttpMethod,
  loadRoutes,
  rowCounts,
  Schema,
} from './route-catalog';

// Property-based tests of SPEC §3 under hostile input, for every route of the OpenAPI document:
// every refusal is a JSON 4xx in the error shape, nothing is a 5xx, and a refused request
// changes no row of any table. A failure prints fast-check's seed and path; replay it with
// FC_SEED=<seed> (and the same build) to get the same requests.
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;

/** One generated request, printed short in fast-check's failure report. */
interface HostileRequest {
  route: string;
  method: HttpMethod;
  /** Path and query string, percent-encoded as sent. */
  url: string;
  headers: Array<[string, string]>;
  body?: HostileBody;
  /** Declared query parameters given an invalid value. */
  poisonedQuery?: string[];
  /** The request must be refused (with the valid credentials the property uses). */
  mustRefuse: boolean;
}

const short = (value: string): string =>
  value.length > 120 ? `${value.slice(0, 60)}…(${value.length} chars)…${value.slice(-20)}` : value;

function printable(request: HostileRequest): HostileRequest & fc.WithToStringMethod {
  return {
    ...request,
    [fc.toStringMethod]: () =>
      JSON.stringify({
        ...request,
        url: short(request.url),
        headers: request.headers.map(([n, v]) => [n, short(v)]),
        body: request.body && { ...request.body, text: short(request.body.text) },
      }),
  };
}

interface World {
  admin: TestUser;
  adminToken: TestToken;
  workspace: TestWorkspace;
  member: TestUser;
  memberToken: TestToken;
  victim: TestUser;
  /** The existing object each path collection names, e.g. projects → a project id. */
  ids: Record<string, string>;
  usernames: string[];
}

/** A valid credential of the instance admin (owner of the test workspace). */
interface ValidCredential {
  label: string;
  carrier: Carrier;
  headers: Array<[string, string]>;
  queryKey?: string;
}

function validCredentials(world: World): ValidCredential[] {
  const token = world.adminToken.token;
  return [
    { label: 'bearer', carrier: 'authorization', headers: [['Authorization', `Bearer ${token}`]] },
    {
      label: 'password',
      carrier: 'authorization',
      headers: [['Authorization', world.admin.basic]],
    },
    { label: 'x-api-key', carrier: 'x-api-key', headers: [['X-API-Key', token]] },
    { label: 'redmine key', carrier: 'x-redmine-api-key', headers: [['X-Redmine-API-Key', token]] },
    { label: '?key=', carrier: 'query-key', headers: [], queryKey: token },
  ];
}

describe('Hostile input on every route', () => {
  let t: TestApp;
  let world: World;
  let routes: ApiRoute[];
  let seq = 0;
  const unique = (): string => `${Date.now().toString(36)}${(seq++).toString(36)}`;

  /** Valid values by field name, then by schema, for bodies that should pass validation. */
  function validValue(name: string, schema: Schema): unknown {
    const suffix = unique();
    const byName: Record<string, unknown> = {
      name: `bad input ${suffix}`,
      identifier: `bi${suffix}`,
      username: `bi${suffix}`,
      email: `bi${suffix}@example.test`,
      password: 'a-long-enough-password',
      subject: `subject ${suffix}`,
      user_id: world.victim.id,
      redirect_uris: ['https://client.example.test/callback'],
      scopes: ['read'],
      code: '123456',
    };
    if (name in byName) {
      return byName[name];
    }
    if (schema.enum?.length) {
      return schema.enum[0];
    }
    if (schema.example !== undefined) {
      return schema.example;
    }
    switch (schema.type ?? '') {
      case 'number':
      case 'integer':
        return schema.minimum ?? 1;
      case 'boolean':
        return false;
      case 'array':
        return schema.items ? [validValue(name, schema.items)] : [];
      case 'string':
        return schema.format === 'uuid' ? world.victim.id : 'x';
      default:
        return 'x';
    }
  }

  /** A body with every required field valid. */
  function validBody(route: ApiRoute): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const name of route.body?.required ?? []) {
      body[name] = validValue(name, route.body?.properties?.[name] ?? {});
    }
    return body;
  }

  /** Path ids: existing objects (so that handlers run), or `hostile` ones. DELETE never hits. */
  function pathArb(route: ApiRoute, mode: 'real' | 'hostile' | 'any'): fc.Arbitrary<string> {
    const real = (uuid: string): string =>
      fillPath(route.template, (_param, collection) =>
        route.method !== 'delete' && world.ids[collection] ? world.ids[collection] : uuid,
      );
    const hostile = fc
      .array(hostileId, {
        minLength: route.pathParams.length,
        maxLength: route.pathParams.length,
      })
      .map((values) => {
        let i = 0;
        return fillPath(route.template, () => values[i++]);
      });
    if (route.pathParams.length === 0) {
      return fc.constant(route.template);
    }
    switch (mode) {
      case 'real':
        return fc.uuid().map(real);
      case 'hostile':
        return hostile;
      case 'any':
        return fc.oneof(fc.uuid().map(real), hostile);
    }
  }

  async function send(request: HostileRequest): Promise<Response> {
    const req = t.http()[request.method](request.url);
    for (const [name, value] of request.headers) {
      req.set(name, value);
    }
    if (request.body) {
      return req.set('Content-Type', request.body.contentType).send(request.body.text);
    }
    return req;
  }

  const apiRoutes = (): ApiRoute[] => routes.filter((r) => r.template.startsWith('/api/v1/'));

  /** SPEC §3: a JSON error body with statusCode, error, code and a helpful message. */
  function assertErrorShape(res: Response, context: string): void {
    assert.match(String(res.headers['content-type']), /^application\/json/, context);
    const body = res.body as Record<string, unknown>;
    assert.equal(body.statusCode, res.status, context);
    assert.equal(typeof body.error, 'string', context);
    assert.match(String(body.code), /^[a-z_]+$/, context);
    assert.equal(typeof body.message, 'string', context);
    assert.ok(String(body.message).length > 10, `message should say what to do; ${context}`);
    if (res.status === 401) {
      assert.match(
        String(res.headers['www-authenticate']),
        /^Bearer realm="tessera"/,
        `401 needs a WWW-Authenticate challenge; ${context}`,
      );
    }
  }

  const context = (request: HostileRequest, res: Response): string =>
    `${request.method.toUpperCase()} ${short(request.url)} -> ${res.status} ${short(res.text)}`;

  /**
   * Runs a property over generated requests. Each request's response goes to `check`; a
   * refused one (4xx) must leave every table's row count as it was (each wrong password may add
   * its one audit event), and, unless `mayWrite`, the content of every table must be
   * the same after the whole batch.
   */
  async function runBatch(
    ctx: TestContext,
    arb: fc.Arbitrary<HostileRequest>,
    numRuns: number,
    check: (request: HostileRequest, res: Response) => void,
    options: { mayWrite?: boolean } = {},
  ): Promise<void> {
    const digestBefore = await contentDigest(t);
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(arb.map(printable), async (request) => {
        const before = await rowCounts(t);
        const res = await send(request);
        const where = context(request, res);
        const code = (res.body as { code?: unknown } | undefined)?.code;
        const key = `${res.status}${typeof code === 'string' ? ` ${code}` : ''}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        assert.notEqual(res.status, 429, `rate limited: the property cannot run; ${where}`);
        assert.ok(res.status < 500, `a 5xx is a bug; ${where}`);
        if (request.mustRefuse) {
          assert.ok(res.status >= 400, `this request must be refused; ${where}`);
        }
        check(request, res);
        if (res.status >= 400) {
          const after = await rowCounts(t);
          assert.deepEqual(
            changedTables(before.tables, after.tables),
            [],
            `a refused request changed rows; ${where}`,
          );
          const failedLogins = after.failedLogins - before.failedLogins;
          // A request may carry two passwords (HTTP Basic and X-AUTH-*): each is verified and
          // each wrong one audited.
          const allowed = code === 'invalid_credentials' ? 2 : 0;
          assert.ok(
            failedLogins >= 0 && failedLogins <= allowed,
            `${failedLogins} failed-login events; ${where}`,
          );
        }
      }),
      { numRuns, seed: SEED },
    );
    if (!options.mayWrite) {
      assert.deepEqual(
        changedTables(digestBefore, await contentDigest(t)),
        [],
        'the batch changed the content of these tables',
      );
    }
    const histogram = [...statuses.entries()].sort((a, b) => b[1] - a[1]);
    ctx.diagnostic(
      `${numRuns} runs: ${histogram.map(([status, n]) => `${status} ×${n}`).join(', ')}`,
    );
  }

  before(async () => {
    t = await startTestApp();
    routes = await loadRoutes(t);
    const me = await t.http().get('/api/v1/me').set('Authorization', t.adminBasic);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    const admin: TestUser = {
      id: me.body.id as string,
      username: ADMIN_USERNAME,
      password: ADMIN_PASSWORD,
      basic: t.adminBasic,
    };
    const workspace = await createWorkspace(t, admin);
    const adminToken = await createToken(t, admin, workspace, {
      scopes: ['read', 'write', 'delete', 'admin'],
    });
    const member = await createUser(t);
    await addMember(t, workspace, admin, member, 'member');
    const memberToken = await createToken(t, member, workspace);
    const victim = await createUser(t);
    const project = await t
      .http()
      .post('/api/v1/projects')
      .set('Authorization', t.adminBasic)
      .set('X-Workspace-Id', workspace.id)
      .send({ name: 'Target', identifier: 'target' });
    assert.equal(project.status, 201, JSON.stringify(project.body));
    const issue = await t
      .http()
      .post(`/api/v1/projects/${project.body.id as string}/issues`)
      .set('Authorization', t.adminBasic)
      .set('X-Workspace-Id', workspace.id)
      .send({ subject: 'Target issue' });
    assert.equal(issue.status, 201, JSON.stringify(issue.body));
    const app = await t
      .http()
      .post('/api/v1/admin/oauth/applications')
      .set('Authorization', t.adminBasic)
      .send({
        name: 'Target app',
        redirect_uris: ['https://client.example.test/callback'],
        scopes: ['read'],
        confidential: true,
      });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    world = {
      admin,
      adminToken,
      workspace,
      member,
      memberToken,
      victim,
      ids: {
        workspaces: workspace.id,
        members: member.id,
        tokens: memberToken.id,
        projects: project.body.id as string,
        issues: issue.body.id as string,
        users: victim.id,
        applications: app.body.id as string,
      },
      usernames: [ADMIN_USERNAME, member.username, victim.username],
    };
  });
  after(() => t.close());

  it('finds the API in the OpenAPI document', () => {
    assert.ok(apiRoutes().length >= 30, `found only ${apiRoutes().length} /api/v1 operations`);
    assert.ok(apiRoutes().some((r) => r.body !== undefined));
    assert.ok(apiRoutes().some((r) => r.query.length > 0));
  });

  it('refuses hostile credentials on every route with a JSON 4xx and changes nothing', async (ctx) => {
    const prefix = t.config.tokenPrefix;
    const arb = fc.constantFrom(...apiRoutes()).chain((route) =>
      fc
        .record({
          path: pathArb(route, 'any'),
          credentials: fc.oneof(
            { arbitrary: hostileCredentials(prefix), weight: 9 },
            { arbitrary: fc.constant([]), weight: 1 },
          ),
          switchUser: fc.option(headerText, { nil: undefined }),
          workspace: fc.option(fc.oneof(headerText, fc.uuid()), { nil: undefined }),
          noise: hostileNoiseHeaders,
          query: hostileQueryNoise(route),
          body: route.body
            ? fc.option(
                fc.oneof(
                  poisonedBody(route, validValue),
                  fc.constant<HostileBody>({
                    contentType: 'application/json',
                    text: JSON.stringify(validBody(route)),
                    semantic: false,
                  }),
                ),
                { nil: undefined },
              )
            : fc.constant(undefined),
        })
        .map(({ path, credentials, switchUser, workspace, noise, query, body }): HostileRequest => {
          const pairs: QueryPair[] = [...query];
          const headers: Array<[string, string]> = [...noise];
          for (const credential of credentials) {
            headers.push(...credential.headers);
            if (credential.queryKey !== undefined) {
              pairs.push(['key', encodeURIComponent(credential.queryKey)]);
            }
          }
          if (switchUser !== undefined) {
            headers.push(['X-Switch-User', switchUser]);
          }
          if (workspace !== undefined) {
            headers.push(['X-Workspace-Id', workspace]);
          }
          return {
            route: route.id,
            method: route.method,
            url: path + queryString(pairs),
            headers,
            body,
            mustRefuse: true,
          };
        }),
    );
    await runBatch(ctx, arb, 200, (request, res) => {
      const where = context(request, res);
      assert.ok(res.status >= 400, `hostile credentials were accepted; ${where}`);
      assertErrorShape(res, where);
      // Refusals that mean someone was authenticated are not allowed here.
      assert.ok(
        [400, 401, 413, 414, 415, 431].includes(res.status),
        `unexpected refusal; ${where}`,
      );
    });
  });

  it('refuses a valid credential sent with a hostile one, a bad X-Switch-User or X-Workspace-Id', async (ctx) => {
    const prefix = t.config.tokenPrefix;
    const known = (login: string): boolean => {
      const loose = (s: string): string =>
        s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().trim();
      return world.usernames.some((u) => loose(u) === loose(login));
    };
    type Hostility = 'credential' | 'switch-user' | 'workspace';
    const arb = fc
      .record({
        route: fc.constantFrom(...apiRoutes()),
        valid: fc.constantFrom(...validCredentials(world)),
        hostility: fc.constantFrom<Hostility>('credential', 'switch-user', 'workspace'),
      })
      .filter(({ route, hostility }) => hostility !== 'workspace' || route.workspaceHeader)
      .chain(({ route, valid, hostility }) =>
        fc
          .record({
            path: pathArb(route, 'real'),
            extra: hostileCredentials(prefix, [valid.carrier]),
            switchUser: headerText.filter((s) => s.trim().length > 0 && !known(s)),
            workspace: fc
              .oneof(headerText, fc.uuid())
              .filter((s) => s.trim().length > 0 && s.trim().toLowerCase() !== world.workspace.id),
            noise: hostileNoiseHeaders,
          })
          .map(({ path, extra, switchUser, workspace, noise }): HostileRequest => {
            const headers: Array<[string, string]> = [...noise, ...valid.headers];
            const pairs: QueryPair[] = valid.queryKey ? [['key', valid.queryKey]] : [];
            if (hostility === 'credential') {
              for (const credential of extra) {
                headers.push(...credential.headers);
                if (credential.queryKey !== undefined) {
                  pairs.push(['key', encodeURIComponent(credential.queryKey)]);
                }
              }
            }
            if (hostility === 'switch-user') {
              headers.push(['X-Switch-User', switchUser]);
            }
            headers.push([
              'X-Workspace-Id',
              hostility === 'workspace' ? workspace : world.workspace.id,
            ]);
            return {
              route: `${route.id} [${hostility} with ${valid.label}]`,
              method: route.method,
              url: path + queryString(pairs),
              headers,
              mustRefuse: true,
            };
          }),
      );
    await runBatch(ctx, arb, 150, (request, res) => {
      const where = context(request, res);
      assertErrorShape(res, where);
      const code = (res.body as { code: string }).code;
      if (request.route.includes('[credential')) {
        assert.equal(res.status, 401, where);
      } else if (request.route.includes('[switch-user')) {
        assert.deepEqual([res.status, code], [412, 'switch_user_invalid'], where);
      } else {
        assert.ok(
          ['validation_failed', 'workspace_mismatch', 'workspace_forbidden'].includes(code),
          where,
        );
      }
    });
  });

  it('answers invalid query parameters with 400 validation_failed naming each of them', async (ctx) => {
    const withQuery = apiRoutes().filter((r) => r.method === 'get' && r.query.length > 0);
    assert.ok(withQuery.length >= 5, 'the list routes document their query parameters');
    // Routes that take the account password only (SPEC §12: sessions, authorizations) refuse a
    // token before they read the query; they are tried with the password alone.
    const passwordOnly = new Set<string>();
    for (const route of withQuery) {
      const probe = await t
        .http()
        .get(fillPath(route.template, (_param, collection) => world.ids[collection] ?? ''))
        .set('Authorization', world.adminToken.bearer)
        .set('X-Workspace-Id', world.workspace.id);
      if (probe.status === 403 && probe.body.code === 'forbidden') {
        passwordOnly.add(route.id);
      }
    }
    const arb = fc.constantFrom(...withQuery).chain((route) =>
      fc
        .record({
          path: pathArb(route, 'real'),
          poisoned: fc
            .shuffledSubarray(route.query, { minLength: 1 })
            .chain((params) => fc.tuple(...params.map((p) => invalidQueryParam(p)))),
          noise: hostileQueryNoise(route),
          credential: passwordOnly.has(route.id)
            ? fc.constant(world.admin.basic)
            : fc.constantFrom(world.admin.basic, world.adminToken.bearer),
        })
        .map(({ path, poisoned, noise, credential }): HostileRequest => {
          const pairs = [...noise, ...poisoned.flat()];
          return {
            route: route.id,
            method: route.method,
            url: path + queryString(pairs),
            headers: [
              ['Authorization', credential],
              ['X-Workspace-Id', world.workspace.id],
            ],
            poisonedQuery: [...new Set(poisoned.flat().map(([name]) => name))],
            mustRefuse: true,
          };
        }),
    );
    await runBatch(ctx, arb, 150, (request, res) => {
      const where = context(request, res);
      assertErrorShape(res, where);
      assert.deepEqual([res.status, res.body.code], [400, 'validation_failed'], where);
      const fields = ((res.body.details ?? []) as Array<{ field: string }>).map((d) => d.field);
      for (const name of request.poisonedQuery ?? []) {
        assert.ok(fields.includes(name), `details should name ${name}; ${where}`);
      }
    });
  });

  it('never fails with a 5xx on any query string, with valid credentials', async (ctx) => {
    const gets = apiRoutes().filter((r) => r.method === 'get');
    const arb = fc
      .constantFrom(...gets)
      .chain((route) =>
        fc.record({
          route: fc.constant(route),
          path: pathArb(route, 'real'),
          query: hostileQueryNoise(route),
        }),
      )
      .map(({ route, path, query }): HostileRequest => ({
        route: route.id,
        method: route.method,
        url: path + queryString(query),
        headers: [
          ['Authorization', world.admin.basic],
          ['X-Workspace-Id', world.workspace.id],
        ],
        mustRefuse: false,
      }));
    await runBatch(ctx, arb, 150, (request, res) => {
      const where = context(request, res);
      assert.match(String(res.headers['content-type']), /^application\/json/, where);
      if (res.status >= 400) {
        assertErrorShape(res, where);
      }
    });
  });

  it('answers hostile JSON bodies with 400 validation_failed (or 413/415), with valid credentials', async (ctx) => {
    const withBody = apiRoutes().filter((r) => r.body !== undefined);
    assert.ok(withBody.length >= 10, 'the write routes document their bodies');
    const arb = fc
      .constantFrom(...withBody)
      .chain((route) =>
        fc.record({
          route: fc.constant(route),
          path: pathArb(route, 'real'),
          body: poisonedBody(route, validValue),
          query: hostileQueryNoise(route),
        }),
      )
      .map(({ route, path, body, query }): HostileRequest => ({
        route: route.id,
        method: route.method,
        url: path + queryString(query),
        // An admin's password passes every guard (2FA routes included), so the body is what
        // gets judged.
        headers: [
          ['Authorization', world.admin.basic],
          ['X-Workspace-Id', world.workspace.id],
        ],
        body,
        mustRefuse: true,
      }));
    await runBatch(ctx, arb, 250, (request, res) => {
      const where = context(request, res);
      assertErrorShape(res, where);
      const code = (res.body as { code: string }).code;
      assert.ok(
        (res.status === 400 && code === 'validation_failed') ||
          (res.status === 413 && code === 'payload_too_large') ||
          (res.status === 415 && code === 'unsupported_media_type'),
        where,
      );
      if (request.body?.semantic && res.status === 400) {
        const details = res.body.details as Array<{ field: unknown; message: unknown }>;
        assert.ok(Array.isArray(details) && details.length > 0, `details expected; ${where}`);
        for (const d of details) {
          assert.equal(typeof d.field, 'string', where);
          assert.equal(typeof d.message, 'string', where);
        }
      }
    });
  });

  it('refuses hostile path ids with 404 (or 400/414) and changes nothing', async (ctx) => {
    const withIds = apiRoutes().filter((r) => r.pathParams.length > 0);
    const arb = fc.constantFrom(...withIds).chain((route) =>
      pathArb(route, 'hostile').map((path): HostileRequest => ({
        route: route.id,
        method: route.method,
        url: path,
        headers: [
          ['Authorization', world.admin.basic],
          ['X-Workspace-Id', world.workspace.id],
        ],
        mustRefuse: true,
      })),
    );
    await runBatch(ctx, arb, 100, (request, res) => {
      const where = context(request, res);
      assertErrorShape(res, where);
      assert.ok([400, 404, 414].includes(res.status), where);
    });
  });

  it('never fails with a 5xx on odd strings in otherwise valid bodies', async (ctx) => {
    const freeText = (s: Schema): boolean => s.type === 'string' && !s.enum && s.format !== 'uuid';
    const candidates = apiRoutes().flatMap((route) =>
      route.method === 'delete'
        ? []
        : Object.entries(route.body?.properties ?? {})
            .filter(([, s]) => freeText(s) || (s.type === 'array' && s.items && freeText(s.items)))
            .map(([name, schema]) => ({ route, name, schema })),
    );
    assert.ok(candidates.length >= 10, 'free-text fields to try');
    const arb = fc
      .constantFrom(...candidates)
      .chain(({ route, name, schema }) =>
        fc.record({
          route: fc.constant(route),
          name: fc.constant(name),
          isArray: fc.constant(schema.type === 'array'),
          path: pathArb(route, 'real'),
          value: oddString((schema.type === 'array' ? schema.items : schema)?.maxLength),
        }),
      )
      .map(({ route, name, isArray, path, value }): HostileRequest => {
        const body = { ...validBody(route), [name]: isArray ? [value] : value };
        return {
          route: `${route.id} [${name}]`,
          method: route.method,
          url: path,
          headers: [
            ['Authorization', world.admin.basic],
            ['X-Workspace-Id', world.workspace.id],
          ],
          body: { contentType: 'application/json', text: JSON.stringify(body), semantic: false },
          mustRefuse: false,
        };
      });
    await runBatch(
      ctx,
      arb,
      150,
      (request, res) => {
        const where = context(request, res);
        if (res.status !== 204) {
          assert.match(String(res.headers['content-type']), /^application\/json/, where);
        }
        if (res.status >= 400) {
          assertErrorShape(res, where);
        }
      },
      { mayWrite: true },
    );
  });

  it('never fails with a 5xx on the public protocol routes (OAuth, metadata, health)', async (ctx) => {
    // GET /oauth/authorize is documented for OAuth clients but is a browser page (HTML, and
    // redirects to /login): the web page suites cover it.
    const publicRoutes = routes.filter(
      (r) =>
        !r.template.startsWith('/api/v1/') &&
        !r.template.startsWith('/api/docs') &&
        r.template !== '/oauth/authorize',
    );
    assert.ok(publicRoutes.some((r) => r.template === '/oauth/token'));
    const prefix = t.config.tokenPrefix;
    const fields = fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(
            'grant_type',
            'code',
            'redirect_uri',
            'client_id',
            'client_secret',
            'code_verifier',
            'refresh_token',
            'token',
            'token_type_hint',
            'scope',
          ),
          headerText,
        ),
        fc.oneof(tokenLikeOrText(prefix), fc.constantFrom('authorization_code', 'refresh_token')),
      ),
      { maxLength: 6 },
    );
    const arb = fc.constantFrom(...publicRoutes).chain((route) =>
      fc
        .record({
          credentials: fc.array(
            fc.constantFrom<Carrier>('authorization').chain((c) => hostileCredential(prefix, c)),
            { maxLength: 1 },
          ),
          noise: hostileNoiseHeaders,
          query: hostileQueryNoise(route),
          fields,
          json: fc.boolean(),
        })
        .map(({ credentials, noise, query, fields: pairs, json }): HostileRequest => {
          const body: HostileBody | undefined =
            route.method === 'get'
              ? undefined
              : json
                ? {
                    contentType: 'application/json',
                    text: JSON.stringify(Object.fromEntries(pairs)),
                    semantic: false,
                  }
                : {
                    contentType: 'application/x-www-form-urlencoded',
                    text: pairs
                      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
                      .join('&'),
                    semantic: false,
                  };
          return {
            route: route.id,
            method: route.method,
            url: route.template + queryString(query),
            headers: [...noise, ...credentials.flatMap((c) => c.headers)],
            body,
            mustRefuse: false,
          };
        }),
    );
    await runBatch(ctx, arb, 100, (request, res) => {
      const where = context(request, res);
      assert.match(String(res.headers['content-type']), /^application\/json/, where);
      if (res.status >= 400 && request.url.startsWith('/oauth/')) {
        // RFC 6749 §5.2 error shape on the protocol endpoints
        assert.equal(typeof res.body.error, 'string', where);
      }
    });
  });

  describe('inputs that once produced a 500', () => {
    it('refuses a body nested 10,000 levels deep with 400, not 500', async () => {
      const res = await t
        .http()
        .post('/api/v1/workspaces')
        .set('Authorization', t.adminBasic)
        .set('Content-Type', 'application/json')
        .send(`{"name":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
      assert.equal(res.status, 400, res.text);
    });

    it('refuses ?offset= beyond 2^53 with 400, not 500', async () => {
      const res = await t
        .http()
        .get('/api/v1/workspaces?offset=100000000000000000000')
        .set('Authorization', t.adminBasic);
      assert.equal(res.status, 400, res.text);
    });

    it('refuses an issue description holding a lone surrogate with 400, not 500', async () => {
      const res = await t
        .http()
        .post(`/api/v1/projects/${world.ids.projects}/issues`)
        .set('Authorization', t.adminBasic)
        .set('X-Workspace-Id', world.workspace.id)
        .set('Content-Type', 'application/json')
        .send('{"subject":"lone surrogate","description":"\\ud800"}');
      assert.equal(res.status, 400, res.text);
    });

    it('refuses a lone surrogate in any field (validator.js isEmail threw on it) with 400', async () => {
      const res = await t
        .http()
        .post('/api/v1/admin/users')
        .set('Authorization', t.adminBasic)
        .set('Content-Type', 'application/json')
        .send(
          '{"username":"surrogate1","email":"\\ud800\\ud800@example.com","password":"long-enough-password"}',
        );
      assertErrorShape(res, 'lone surrogate in email');
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.details[0].field, 'email');
    });

    it('names a nested "__proto__" key in the details of its 400 (fuzz finding, seed-dependent)', async () => {
      for (const text of [
        '{"allowed_auth_methods":{"__proto__":{"x":1}}}',
        '{"allowed_auth_methods":[{"constructor":{"prototype":{"is_admin":true}}}]}',
      ]) {
        const res = await t
          .http()
          .patch('/api/v1/admin/settings')
          .set('Authorization', t.adminBasic)
          .set('Content-Type', 'application/json')
          .send(text);
        assertErrorShape(res, text);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.code, 'validation_failed');
        assert.deepEqual(
          res.body.details.map((d: { field: string }) => d.field),
          ['__proto__'],
        );
      }
    });

    it('refuses a name longer than its column when it holds variation selectors', async () => {
      const res = await t
        .http()
        .post('/api/v1/workspaces')
        .set('Authorization', t.adminBasic)
        .send({ name: 'a\uFE0F'.repeat(120) });
      // 240 code points for a 120-character column: refused on both databases.
      assertErrorShape(res, 'variation selectors');
      assert.equal(res.status, 400, res.text);
    });
  });
});

function tokenLikeOrText(prefix: string): fc.Arbitrary<string> {
  return fc.oneof(
    hostileCredential(prefix, 'x-api-key').map((c) => c.headers[0][1]),
    headerText,
  );
}
