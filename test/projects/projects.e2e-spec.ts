import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { Role } from '../../src/workspaces/roles-and-plans';
import { Scope } from '../../src/auth/auth-types';
import { ApiToken } from '../../src/tokens/entities/api-token.entity';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  setPlan,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

type Method = 'get' | 'post' | 'patch' | 'delete';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

interface ProjectBody {
  id: string;
  workspace_id: string;
  name: string;
  identifier: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

let seq = 0;
const nextIdentifier = (stem = 'p'): string => `${stem}${Date.now().toString(36)}${seq++}`;

describe('Projects', () => {
  let t: TestApp;

  /** One request with credentials and (optionally) X-Workspace-Id. */
  function call(
    method: Method,
    path: string,
    auth: string | null,
    workspaceId?: string,
    body?: object,
  ): request.Test {
    const req = t.http()[method](path);
    if (auth) {
      req.set('Authorization', auth);
    }
    if (workspaceId) {
      req.set('X-Workspace-Id', workspaceId);
    }
    return body ? req.send(body) : req;
  }

  async function createProject(
    auth: string,
    ws: TestWorkspace,
    fields: { name?: string; identifier?: string; description?: string } = {},
  ): Promise<ProjectBody> {
    const res = await call('post', '/api/v1/projects', auth, ws.id, {
      name: fields.name ?? 'A project',
      identifier: fields.identifier ?? nextIdentifier(),
      ...(fields.description !== undefined ? { description: fields.description } : {}),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as ProjectBody;
  }

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  describe('scope × role matrix', () => {
    const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer'];
    const SCOPES: Scope[] = ['read', 'write', 'delete', 'admin'];

    // SPEC §5/§6: the token scope is checked first, then the role; reading is for every role,
    // creating/updating/deleting projects for owners and admins only.
    const OPS: Array<{
      name: string;
      method: Method;
      target: boolean;
      scope: Scope;
      roles: Role[];
      ok: number;
    }> = [
      {
        name: 'GET /api/v1/projects',
        method: 'get',
        target: false,
        scope: 'read',
        roles: ROLES,
        ok: 200,
      },
      {
        name: 'GET /api/v1/projects/:id',
        method: 'get',
        target: true,
        scope: 'read',
        roles: ROLES,
        ok: 200,
      },
      {
        name: 'POST /api/v1/projects',
        method: 'post',
        target: false,
        scope: 'write',
        roles: ['owner', 'admin'],
        ok: 201,
      },
      {
        name: 'PATCH /api/v1/projects/:id',
        method: 'patch',
        target: true,
        scope: 'write',
        roles: ['owner', 'admin'],
        ok: 200,
      },
      {
        name: 'DELETE /api/v1/projects/:id',
        method: 'delete',
        target: true,
        scope: 'delete',
        roles: ['owner', 'admin'],
        ok: 204,
      },
    ];

    let ws: TestWorkspace;
    const users = {} as Record<Role, TestUser>;
    const tokens = {} as Record<Role, Record<Scope, TestToken>>;
    let setup: TestToken;

    before(async () => {
      users.owner = await createUser(t);
      ws = await createWorkspace(t, users.owner, { plan: 'enterprise' });
      for (const role of ['admin', 'member', 'viewer'] as const) {
        users[role] = await createUser(t);
        // Viewers cannot own tokens: the viewer gets theirs as a member and is demoted below.
        await addMember(t, ws, users.owner, users[role], role === 'viewer' ? 'member' : role);
      }
      for (const role of ROLES) {
        tokens[role] = {} as Record<Scope, TestToken>;
        for (const scope of SCOPES) {
          tokens[role][scope] = await createToken(t, users[role], ws, { scopes: [scope] });
        }
      }
      const demote = await call(
        'patch',
        `/api/v1/workspaces/${ws.id}/members/${users.viewer.id}`,
        users.owner.basic,
        undefined,
        { role: 'viewer' },
      );
      assert.equal(demote.status, 200, JSON.stringify(demote.body));
      setup = tokens.owner.admin;
    });

    async function send(
      op: (typeof OPS)[number],
      auth: string,
    ): Promise<{ res: request.Response; targetId?: string; targetName?: string }> {
      let targetId: string | undefined;
      let targetName: string | undefined;
      if (op.target) {
        const project = await createProject(setup.bearer, ws);
        targetId = project.id;
        targetName = project.name;
      }
      const path = targetId ? `/api/v1/projects/${targetId}` : '/api/v1/projects';
      const body =
        op.method === 'post'
          ? { name: 'Matrix project', identifier: nextIdentifier('m') }
          : op.method === 'patch'
            ? { name: 'Renamed by matrix' }
            : undefined;
      const res = await call(op.method, path, auth, ws.id, body);
      return { res, targetId, targetName };
    }

    async function assertOutcome(
      op: (typeof OPS)[number],
      out: { res: request.Response; targetId?: string; targetName?: string },
      expected: { status: number; code?: string },
    ): Promise<void> {
      const { res, targetId, targetName } = out;
      if (expected.code) {
        assertError(res, expected.status, expected.code);
        if (expected.code === 'insufficient_scope') {
          const challenge = String(res.headers['www-authenticate']);
          assert.match(challenge, /error="insufficient_scope"/);
          assert.match(challenge, new RegExp(`scope="${op.scope}"`));
        } else {
          assert.equal(res.headers['www-authenticate'], undefined);
        }
        if (targetId) {
          // A refused write leaves the project untouched.
          const still = await call('get', `/api/v1/projects/${targetId}`, setup.bearer, ws.id);
          assert.equal(still.status, 200);
          assert.equal(still.body.name, targetName);
        }
        return;
      }
      assert.equal(res.status, expected.status, JSON.stringify(res.body));
      switch (op.method) {
        case 'get':
          if (targetId) {
            assert.equal(res.body.id, targetId);
          } else {
            assert.ok(Array.isArray(res.body.data));
            assert.equal(typeof res.body.total_count, 'number');
          }
          break;
        case 'post':
          assert.match(res.body.id, UUID_RE);
          assert.equal(res.body.workspace_id, ws.id);
          break;
        case 'patch':
          assert.equal(res.body.name, 'Renamed by matrix');
          break;
        case 'delete': {
          const gone = await call('get', `/api/v1/projects/${targetId}`, setup.bearer, ws.id);
          assertError(gone, 404, 'not_found');
          break;
        }
      }
    }

    for (const op of OPS) {
      for (const role of ROLES) {
        for (const scope of SCOPES) {
          const expected =
            scope !== 'admin' && scope !== op.scope
              ? { status: 403, code: 'insufficient_scope' }
              : role === 'viewer' // a viewer's token is refused everywhere (no API access)
                ? { status: 403, code: 'forbidden' }
                : op.roles.includes(role)
                  ? { status: op.ok }
                  : { status: 403, code: 'forbidden' };
          const label = expected.code ? `${expected.status} ${expected.code}` : expected.status;
          it(`${op.name}: ${role} with a ${scope} token → ${label}`, async () => {
            const out = await send(op, tokens[role][scope].bearer);
            await assertOutcome(op, out, expected);
          });
        }
        // Password credentials carry every scope; only the role decides.
        const expected = op.roles.includes(role)
          ? { status: op.ok }
          : { status: 403, code: 'forbidden' };
        const label = expected.code ? `${expected.status} ${expected.code}` : expected.status;
        it(`${op.name}: ${role} with Basic password → ${label}`, async () => {
          const out = await send(op, users[role].basic);
          await assertOutcome(op, out, expected);
        });
      }
    }

    it('a demoted viewer’s token is refused on every workspace route, even with admin scope', async () => {
      const token = tokens.viewer.admin.bearer;
      const routes: Array<[Method, string, string | undefined]> = [
        ['get', `/api/v1/workspaces/${ws.id}`, undefined],
        ['get', `/api/v1/workspaces/${ws.id}/members`, undefined],
        ['get', '/api/v1/projects', ws.id],
        ['get', '/api/v1/issues', ws.id],
        ['get', '/api/v1/tokens', ws.id],
      ];
      for (const [method, path, header] of routes) {
        assertError(await call(method, path, token, header), 403, 'forbidden');
      }
    });
  });

  describe('POST /api/v1/projects', () => {
    let alice: TestUser;
    let ws: TestWorkspace;
    let other: TestWorkspace;
    let token: TestToken;
    let otherToken: TestToken;

    before(async () => {
      alice = await createUser(t);
      ws = await createWorkspace(t, alice);
      other = await createWorkspace(t, alice);
      token = await createToken(t, alice, ws);
      otherToken = await createToken(t, alice, other);
    });

    it('creates a project: 201 with snake_case fields and a UUID id', async () => {
      const identifier = nextIdentifier('web');
      const res = await call('post', '/api/v1/projects', token.bearer, ws.id, {
        name: '  Website relaunch  ',
        identifier,
        description: 'New marketing site',
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), [
        'created_at',
        'description',
        'id',
        'identifier',
        'name',
        'updated_at',
        'workspace_id',
      ]);
      assert.match(res.body.id, UUID_RE);
      assert.equal(res.body.workspace_id, ws.id);
      assert.equal(res.body.name, 'Website relaunch');
      assert.equal(res.body.identifier, identifier);
      assert.equal(res.body.description, 'New marketing site');
      assert.match(res.body.created_at, ISO_RE);
      assert.match(res.body.updated_at, ISO_RE);

      const got = await call('get', `/api/v1/projects/${res.body.id}`, token.bearer, ws.id);
      assert.equal(got.status, 200);
      assert.equal(got.body.id, res.body.id);
      assert.equal(got.body.name, 'Website relaunch');
      assert.equal(got.body.identifier, identifier);
      assert.match(got.body.created_at, ISO_RE);
    });

    // MySQL/MariaDB keep milliseconds since migration 1764300000000 (DATETIME(3)).
    it('GET returns exactly what POST returned, timestamps included', async () => {
      const created = await createProject(token.bearer, ws);
      const got = await call('get', `/api/v1/projects/${created.id}`, token.bearer, ws.id);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, created);
    });

    it('refuses a body that is no JSON with validation_failed and a detail naming the body', async () => {
      for (const raw of ['{"name": "x",', 'null x']) {
        const res = await t
          .http()
          .post('/api/v1/projects')
          .set('Authorization', token.bearer)
          .set('X-Workspace-Id', ws.id)
          .set('Content-Type', 'application/json')
          .send(raw);
        assertError(res, 400, 'validation_failed');
        assert.deepEqual(
          (res.body.details as Array<{ field: string }>).map((d) => d.field),
          ['body'],
          JSON.stringify(res.body),
        );
      }
    });

    it('reads an empty body sent as JSON as no body: the fields it lacks are named; a DELETE works', async () => {
      const empty = await t
        .http()
        .post('/api/v1/projects')
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', ws.id)
        .set('Content-Type', 'application/json')
        .send('');
      assertError(empty, 400, 'validation_failed');
      const fields = (empty.body.details as Array<{ field: string }>).map((d) => d.field);
      assert.ok(fields.includes('name') && fields.includes('identifier'), JSON.stringify(fields));
      const project = await createProject(token.bearer, ws);
      const deleted = await t
        .http()
        .delete(`/api/v1/projects/${project.id}`)
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', ws.id)
        .set('Content-Type', 'application/json');
      assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    });

    it('defaults description to null', async () => {
      const project = await createProject(token.bearer, ws);
      assert.equal(project.description, null);
    });

    it('returns 409 conflict for an identifier already used in the workspace', async () => {
      const identifier = nextIdentifier('dup');
      await createProject(token.bearer, ws, { identifier });
      const res = await call('post', '/api/v1/projects', token.bearer, ws.id, {
        name: 'Second',
        identifier,
      });
      assertError(res, 409, 'conflict');
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['identifier'],
      );
    });

    it('concurrent creations with one identifier: exactly one 201, the rest 409 conflict', async () => {
      const identifier = nextIdentifier('race');
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          call('post', '/api/v1/projects', token.bearer, ws.id, { name: `Racer ${i}`, identifier }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status).sort(),
        [201, 409, 409, 409, 409],
        JSON.stringify(results.map((r) => r.body as unknown)),
      );
      for (const res of results.filter((r) => r.status === 409)) {
        assertError(res, 409, 'conflict');
      }
    });

    it('accepts the same identifier in another workspace', async () => {
      const identifier = nextIdentifier('shared');
      const a = await createProject(token.bearer, ws, { identifier });
      const b = await createProject(otherToken.bearer, other, { identifier });
      assert.notEqual(a.id, b.id);
      assert.equal(b.workspace_id, other.id);
    });

    const invalid: Array<[string, Record<string, unknown>, string]> = [
      ['an identifier with capitals', { name: 'X', identifier: 'Web' }, 'identifier'],
      ['an identifier starting with a digit', { name: 'X', identifier: '1web' }, 'identifier'],
      ['an identifier with spaces', { name: 'X', identifier: 'my web' }, 'identifier'],
      [
        'an identifier over 100 chars',
        { name: 'X', identifier: `a${'b'.repeat(100)}` },
        'identifier',
      ],
      ['a missing identifier', { name: 'X' }, 'identifier'],
      ['a missing name', { identifier: 'valid' }, 'name'],
      ['an empty name', { name: '', identifier: 'valid' }, 'name'],
      ['a blank name', { name: '   ', identifier: 'valid' }, 'name'],
      ['a name over 200 chars', { name: 'n'.repeat(201), identifier: 'valid' }, 'name'],
      ['a numeric name', { name: 42, identifier: 'valid' }, 'name'],
      ['a numeric description', { name: 'X', identifier: 'valid', description: 7 }, 'description'],
      ['an unknown field', { name: 'X', identifier: 'valid', color: 'red' }, 'color'],
    ];
    for (const [label, body, field] of invalid) {
      it(`returns 400 validation_failed with details for ${label}`, async () => {
        const res = await call('post', '/api/v1/projects', token.bearer, ws.id, body);
        assertError(res, 400, 'validation_failed');
        assert.ok(Array.isArray(res.body.details), 'details must list the fields');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
        for (const detail of res.body.details) {
          assert.equal(typeof detail.message, 'string');
        }
      });
    }

    it('returns 401 missing_credentials without credentials', async () => {
      const res = await call('post', '/api/v1/projects', null, ws.id, {
        name: 'X',
        identifier: 'valid',
      });
      assertError(res, 401, 'missing_credentials');
    });
  });

  describe('GET/PATCH/DELETE /api/v1/projects/:id', () => {
    let alice: TestUser;
    let ws: TestWorkspace;
    let token: TestToken;

    before(async () => {
      alice = await createUser(t);
      ws = await createWorkspace(t, alice);
      token = await createToken(t, alice, ws);
    });

    it('returns 404 not_found for an unknown id and for an id that is not a UUID', async () => {
      assertError(
        await call('get', `/api/v1/projects/${randomUUID()}`, token.bearer, ws.id),
        404,
        'not_found',
      );
      assertError(
        await call('get', '/api/v1/projects/not-a-uuid', token.bearer, ws.id),
        404,
        'not_found',
      );
    });

    it('accepts an upper-case id', async () => {
      const project = await createProject(token.bearer, ws);
      const res = await call(
        'get',
        `/api/v1/projects/${project.id.toUpperCase()}`,
        token.bearer,
        ws.id,
      );
      assert.equal(res.status, 200);
      assert.equal(res.body.id, project.id);
    });

    it('PATCH updates name, identifier and description and returns 200 with the object', async () => {
      const project = await createProject(token.bearer, ws, { description: 'old' });
      const identifier = nextIdentifier('renamed');
      const res = await call('patch', `/api/v1/projects/${project.id}`, token.bearer, ws.id, {
        name: 'Renamed',
        identifier,
        description: null,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, project.id);
      assert.equal(res.body.name, 'Renamed');
      assert.equal(res.body.identifier, identifier);
      assert.equal(res.body.description, null);
      assert.ok(Date.parse(res.body.updated_at) >= Date.parse(project.updated_at));

      const got = await call('get', `/api/v1/projects/${project.id}`, token.bearer, ws.id);
      assert.equal(got.body.name, 'Renamed');
      assert.equal(got.body.identifier, identifier);
      assert.equal(got.body.description, null);
    });

    it('PATCH keeps fields that are not sent, and allows re-sending the same identifier', async () => {
      const project = await createProject(token.bearer, ws, { description: 'keep me' });
      const res = await call('patch', `/api/v1/projects/${project.id}`, token.bearer, ws.id, {
        identifier: project.identifier,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.name, project.name);
      assert.equal(res.body.description, 'keep me');
    });

    it('PATCH returns 409 conflict when the new identifier is taken', async () => {
      const a = await createProject(token.bearer, ws);
      const b = await createProject(token.bearer, ws);
      const res = await call('patch', `/api/v1/projects/${b.id}`, token.bearer, ws.id, {
        identifier: a.identifier,
      });
      assertError(res, 409, 'conflict');
      const got = await call('get', `/api/v1/projects/${b.id}`, token.bearer, ws.id);
      assert.equal(got.body.identifier, b.identifier);
    });

    const badPatches: Array<[string, Record<string, unknown>, string]> = [
      ['a bad identifier', { identifier: 'Bad Identifier' }, 'identifier'],
      ['an empty name', { name: '' }, 'name'],
      ['a blank name', { name: '  ' }, 'name'],
      ['a null name', { name: null }, 'name'],
      ['a null identifier', { identifier: null }, 'identifier'],
      ['an unknown field', { workspace_id: randomUUID() }, 'workspace_id'],
    ];
    for (const [label, body, field] of badPatches) {
      it(`PATCH returns 400 validation_failed for ${label} and changes nothing`, async () => {
        const project = await createProject(token.bearer, ws);
        const res = await call(
          'patch',
          `/api/v1/projects/${project.id}`,
          token.bearer,
          ws.id,
          body,
        );
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
        const got = await call('get', `/api/v1/projects/${project.id}`, token.bearer, ws.id);
        assert.equal(got.body.name, project.name);
        assert.equal(got.body.identifier, project.identifier);
      });
    }

    it('PATCH returns 404 not_found for an unknown project', async () => {
      const res = await call('patch', `/api/v1/projects/${randomUUID()}`, token.bearer, ws.id, {
        name: 'X',
      });
      assertError(res, 404, 'not_found');
    });

    it('DELETE returns 204, then GET and a second DELETE return 404', async () => {
      const project = await createProject(token.bearer, ws);
      const res = await call('delete', `/api/v1/projects/${project.id}`, token.bearer, ws.id);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      assertError(
        await call('get', `/api/v1/projects/${project.id}`, token.bearer, ws.id),
        404,
        'not_found',
      );
      assertError(
        await call('delete', `/api/v1/projects/${project.id}`, token.bearer, ws.id),
        404,
        'not_found',
      );
    });

    it('DELETE removes the project’s issues too', async () => {
      const project = await createProject(token.bearer, ws);
      const issue = await call(
        'post',
        `/api/v1/projects/${project.id}/issues`,
        token.bearer,
        ws.id,
        { subject: 'Goes with the project' },
      );
      assert.equal(issue.status, 201, JSON.stringify(issue.body));
      const res = await call('delete', `/api/v1/projects/${project.id}`, token.bearer, ws.id);
      assert.equal(res.status, 204);
      assertError(
        await call('get', `/api/v1/issues/${issue.body.id}`, token.bearer, ws.id),
        404,
        'not_found',
      );
      const list = await call(
        'get',
        `/api/v1/issues?project_id=${project.id}`,
        token.bearer,
        ws.id,
      );
      assert.equal(list.status, 200);
      assert.equal(list.body.total_count, 0);
    });
  });

  describe('GET /api/v1/projects (pagination)', () => {
    let ws: TestWorkspace;
    let token: TestToken;
    const ids: string[] = [];

    before(async () => {
      const alice = await createUser(t);
      ws = await createWorkspace(t, alice);
      token = await createToken(t, alice, ws);
      for (let i = 0; i < 30; i++) {
        const project = await createProject(token.bearer, ws, { identifier: `page${i}` });
        ids.push(project.id);
      }
    });

    it('defaults to offset 0 and limit 25', async () => {
      const res = await call('get', '/api/v1/projects', token.bearer, ws.id);
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body).sort(), ['data', 'limit', 'offset', 'total_count']);
      assert.equal(res.body.data.length, 25);
      assert.equal(res.body.total_count, 30);
      assert.equal(res.body.offset, 0);
      assert.equal(res.body.limit, 25);
    });

    it('limit=10&offset=20 returns 10 rows of 30', async () => {
      const res = await call('get', '/api/v1/projects?limit=10&offset=20', token.bearer, ws.id);
      assert.equal(res.status, 200);
      assert.equal(res.body.data.length, 10);
      assert.equal(res.body.total_count, 30);
      assert.equal(res.body.offset, 20);
      assert.equal(res.body.limit, 10);
    });

    it('pages through every project exactly once in a stable order', async () => {
      const seen: string[] = [];
      for (const offset of [0, 10, 20]) {
        const res = await call(
          'get',
          `/api/v1/projects?limit=10&offset=${offset}`,
          token.bearer,
          ws.id,
        );
        seen.push(...res.body.data.map((p: { id: string }) => p.id));
      }
      assert.equal(new Set(seen).size, 30);
      assert.deepEqual([...seen].sort(), [...ids].sort());
    });

    it('returns an empty page past the end', async () => {
      const res = await call('get', '/api/v1/projects?offset=30', token.bearer, ws.id);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, []);
      assert.equal(res.body.total_count, 30);
    });

    const badQueries: Array<[string, string]> = [
      ['limit=101', 'limit'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=1.5', 'offset'],
    ];
    for (const [query, field] of badQueries) {
      it(`returns 400 validation_failed for ?${query}`, async () => {
        const res = await call('get', `/api/v1/projects?${query}`, token.bearer, ws.id);
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
      });
    }

    it('accepts limit=100', async () => {
      const res = await call('get', '/api/v1/projects?limit=100', token.bearer, ws.id);
      assert.equal(res.status, 200);
      assert.equal(res.body.data.length, 30);
      assert.equal(res.body.limit, 100);
    });
  });

  describe('tenancy', () => {
    let alice: TestUser;
    let bob: TestUser;
    let wsA: TestWorkspace;
    let wsB: TestWorkspace;
    let tokenA: TestToken;
    let tokenB: TestToken;
    let projectB: ProjectBody;

    before(async () => {
      alice = await createUser(t);
      bob = await createUser(t);
      wsA = await createWorkspace(t, alice);
      wsB = await createWorkspace(t, bob);
      tokenA = await createToken(t, alice, wsA, { scopes: ['admin'] });
      tokenB = await createToken(t, bob, wsB);
      await createProject(tokenA.bearer, wsA);
      projectB = await createProject(tokenB.bearer, wsB, { description: 'B only' });
    });

    async function assertProjectBUnchanged(): Promise<void> {
      const got = await call('get', `/api/v1/projects/${projectB.id}`, tokenB.bearer, wsB.id);
      assert.equal(got.status, 200);
      assert.equal(got.body.name, projectB.name);
      assert.equal(got.body.identifier, projectB.identifier);
      assert.equal(got.body.description, 'B only');
    }

    const requests: Array<[string, Method, object | undefined]> = [
      ['GET', 'get', undefined],
      ['PATCH', 'patch', { name: 'Hijacked' }],
      ['DELETE', 'delete', undefined],
    ];
    for (const [label, method, body] of requests) {
      it(`${label} of another workspace’s project with your own X-Workspace-Id → 404 not_found`, async () => {
        const res = await call(
          method,
          `/api/v1/projects/${projectB.id}`,
          tokenA.bearer,
          wsA.id,
          body,
        );
        assertError(res, 404, 'not_found');
        await assertProjectBUnchanged();
      });

      it(`${label} with the other workspace’s X-Workspace-Id → 403 workspace_mismatch`, async () => {
        const res = await call(
          method,
          `/api/v1/projects/${projectB.id}`,
          tokenA.bearer,
          wsB.id,
          body,
        );
        assertError(res, 403, 'workspace_mismatch');
        await assertProjectBUnchanged();
      });
    }

    it('a non-member’s password credentials get 403 workspace_forbidden', async () => {
      const res = await call('get', `/api/v1/projects/${projectB.id}`, alice.basic, wsB.id);
      assertError(res, 403, 'workspace_forbidden');
    });

    it('lists only the workspace’s own projects', async () => {
      const res = await call('get', '/api/v1/projects', tokenA.bearer, wsA.id);
      assert.equal(res.status, 200);
      assert.ok(res.body.data.length >= 1);
      for (const project of res.body.data) {
        assert.equal(project.workspace_id, wsA.id);
      }
      assert.ok(!res.body.data.some((p: { id: string }) => p.id === projectB.id));
    });

    it('PATCH cannot move a project to another workspace', async () => {
      const project = await createProject(tokenA.bearer, wsA);
      const res = await call('patch', `/api/v1/projects/${project.id}`, tokenA.bearer, wsA.id, {
        workspace_id: wsB.id,
      });
      assertError(res, 400, 'validation_failed');
    });
  });

  describe('X-Workspace-Id', () => {
    let alice: TestUser;
    let ws: TestWorkspace;
    let token: TestToken;

    before(async () => {
      alice = await createUser(t);
      ws = await createWorkspace(t, alice);
      token = await createToken(t, alice, ws);
    });

    it('missing → 400 workspace_required, for tokens and passwords alike', async () => {
      assertError(await call('get', '/api/v1/projects', token.bearer), 400, 'workspace_required');
      assertError(
        await call('post', '/api/v1/projects', token.bearer, undefined, {
          name: 'X',
          identifier: 'valid',
        }),
        400,
        'workspace_required',
      );
      assertError(await call('get', '/api/v1/projects', alice.basic), 400, 'workspace_required');
    });

    it('not a UUID → 400 validation_failed naming the header', async () => {
      const res = await call('get', '/api/v1/projects', token.bearer, 'workspace-one');
      assertError(res, 400, 'validation_failed');
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['X-Workspace-Id'],
      );
    });

    // AccessGuard lower-cases X-Workspace-Id, as UuidParam does for path ids.
    it('accepts the workspace id in upper case (UUIDs are case-insensitive)', async () => {
      const res = await call('get', '/api/v1/projects', token.bearer, ws.id.toUpperCase());
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const basic = await call('get', '/api/v1/projects', alice.basic, ws.id.toUpperCase());
      assert.equal(basic.status, 200, JSON.stringify(basic.body));
    });

    it('an unknown workspace with password credentials → 403 workspace_forbidden', async () => {
      const res = await call('get', '/api/v1/projects', alice.basic, randomUUID());
      assertError(res, 403, 'workspace_forbidden');
    });

    it('no credentials → 401 missing_credentials before any workspace check', async () => {
      assertError(await call('get', '/api/v1/projects', null), 401, 'missing_credentials');
    });
  });

  describe('plans and billing', () => {
    let alice: TestUser;
    let ws: TestWorkspace;
    let token: TestToken;
    let project: ProjectBody;

    before(async () => {
      alice = await createUser(t);
      ws = await createWorkspace(t, alice, { plan: 'pro' });
      token = await createToken(t, alice, ws);
      project = await createProject(token.bearer, ws);
    });

    for (const plan of ['free', 'solo_pro'] as const) {
      it(`on the ${plan} plan every /projects call gets 403 plan_required; the token is kept`, async () => {
        await setPlan(t, ws.id, { plan });
        try {
          const calls: Array<[Method, string, object | undefined]> = [
            ['get', '/api/v1/projects', undefined],
            ['post', '/api/v1/projects', { name: 'X', identifier: nextIdentifier() }],
            ['get', `/api/v1/projects/${project.id}`, undefined],
            ['patch', `/api/v1/projects/${project.id}`, { name: 'X' }],
            ['delete', `/api/v1/projects/${project.id}`, undefined],
          ];
          for (const [method, path, body] of calls) {
            assertError(await call(method, path, token.bearer, ws.id, body), 403, 'plan_required');
          }
          // Password credentials are refused too: the plan has no API access at all.
          assertError(
            await call('get', '/api/v1/projects', alice.basic, ws.id),
            403,
            'plan_required',
          );
          const stored = await t.dataSource.getRepository(ApiToken).findOneBy({ id: token.id });
          assert.ok(stored, 'the token must not be deleted by a downgrade');
          assert.equal(stored.revokedAt, null);
        } finally {
          await setPlan(t, ws.id, { plan: 'pro' });
        }
        // Back on pro, the very same token works again.
        const res = await call('get', `/api/v1/projects/${project.id}`, token.bearer, ws.id);
        assert.equal(res.status, 200);
        assert.equal(res.body.name, project.name);
      });
    }

    it('billing read_only: GET works, POST/PATCH/DELETE get 402 workspace_read_only', async () => {
      await setPlan(t, ws.id, { billing_status: 'read_only' });
      try {
        const list = await call('get', '/api/v1/projects', token.bearer, ws.id);
        assert.equal(list.status, 200);
        const one = await call('get', `/api/v1/projects/${project.id}`, token.bearer, ws.id);
        assert.equal(one.status, 200);
        assertError(
          await call('post', '/api/v1/projects', token.bearer, ws.id, {
            name: 'X',
            identifier: nextIdentifier(),
          }),
          402,
          'workspace_read_only',
        );
        assertError(
          await call('patch', `/api/v1/projects/${project.id}`, token.bearer, ws.id, {
            name: 'Changed while read-only',
          }),
          402,
          'workspace_read_only',
        );
        assertError(
          await call('delete', `/api/v1/projects/${project.id}`, token.bearer, ws.id),
          402,
          'workspace_read_only',
        );
        // Password credentials are no way around it.
        assertError(
          await call('post', '/api/v1/projects', alice.basic, ws.id, {
            name: 'X',
            identifier: nextIdentifier(),
          }),
          402,
          'workspace_read_only',
        );
      } finally {
        await setPlan(t, ws.id, { billing_status: 'active' });
      }
      const got = await call('get', `/api/v1/projects/${project.id}`, token.bearer, ws.id);
      assert.equal(got.status, 200);
      assert.equal(got.body.name, project.name);
      const total = await call('get', '/api/v1/projects', token.bearer, ws.id);
      assert.equal(total.body.total_count, 1);
    });

    it('billing read_only: the scope check still comes first (403 insufficient_scope)', async () => {
      const readOnly = await createToken(t, alice, ws, { scopes: ['read'] });
      await setPlan(t, ws.id, { billing_status: 'read_only' });
      try {
        const res = await call('post', '/api/v1/projects', readOnly.bearer, ws.id, {
          name: 'X',
          identifier: nextIdentifier(),
        });
        assertError(res, 403, 'insufficient_scope');
      } finally {
        await setPlan(t, ws.id, { billing_status: 'active' });
      }
    });
  });
});
