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
type Json = Record<string, unknown>;

interface ProjectBody {
  id: string;
  workspace_id: string;
}

interface IssueBody {
  id: string;
  workspace_id: string;
  project_id: string;
  subject: string;
  description: string | null;
  status: string;
  priority: string;
  assignee_id: string | null;
  author_id: string;
  created_at: string;
  updated_at: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

let seq = 0;
const nextIdentifier = (stem = 'p'): string => `${stem}${Date.now().toString(36)}${seq++}`;

describe('Issues', () => {
  let t: TestApp;

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

  async function createProject(auth: string, ws: TestWorkspace): Promise<ProjectBody> {
    const res = await call('post', '/api/v1/projects', auth, ws.id, {
      name: 'Issue tracker',
      identifier: nextIdentifier(),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as ProjectBody;
  }

  async function createIssue(
    auth: string,
    ws: TestWorkspace,
    project: ProjectBody,
    fields: Json = {},
  ): Promise<IssueBody> {
    const res = await call('post', `/api/v1/projects/${project.id}/issues`, auth, ws.id, {
      subject: 'Something is broken',
      ...fields,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as IssueBody;
  }

  const ids = (res: request.Response): string[] =>
    (res.body.data as Array<{ id: string }>).map((i) => i.id).sort();

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  describe('scope × role matrix', () => {
    const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer'];
    const SCOPES: Scope[] = ['read', 'write', 'delete', 'admin'];

    // SPEC §5/§6: scope first, then role. Everyone reads; members and up create and update;
    // only owners and admins delete.
    const OPS: Array<{
      name: string;
      method: Method;
      path: 'list' | 'project' | 'issue';
      scope: Scope;
      roles: Role[];
      ok: number;
    }> = [
      {
        name: 'GET /api/v1/issues',
        method: 'get',
        path: 'list',
        scope: 'read',
        roles: ROLES,
        ok: 200,
      },
      {
        name: 'GET /api/v1/issues/:id',
        method: 'get',
        path: 'issue',
        scope: 'read',
        roles: ROLES,
        ok: 200,
      },
      {
        name: 'POST /api/v1/projects/:projectId/issues',
        method: 'post',
        path: 'project',
        scope: 'write',
        roles: ['owner', 'admin', 'member'],
        ok: 201,
      },
      {
        name: 'PATCH /api/v1/issues/:id',
        method: 'patch',
        path: 'issue',
        scope: 'write',
        roles: ['owner', 'admin', 'member'],
        ok: 200,
      },
      {
        name: 'DELETE /api/v1/issues/:id',
        method: 'delete',
        path: 'issue',
        scope: 'delete',
        roles: ['owner', 'admin'],
        ok: 204,
      },
    ];

    let ws: TestWorkspace;
    let project: ProjectBody;
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
      project = await createProject(setup.bearer, ws);
    });

    for (const op of OPS) {
      const run = async (
        role: Role,
        auth: string,
        expected: { status: number; code?: string },
      ): Promise<void> => {
        let target: IssueBody | undefined;
        if (op.path === 'issue') {
          target = await createIssue(setup.bearer, ws, project, { subject: 'Matrix target' });
        }
        const path =
          op.path === 'list'
            ? '/api/v1/issues'
            : op.path === 'project'
              ? `/api/v1/projects/${project.id}/issues`
              : `/api/v1/issues/${target?.id}`;
        const body =
          op.method === 'post'
            ? { subject: 'Created by matrix' }
            : op.method === 'patch'
              ? { status: 'in_progress' }
              : undefined;
        const res = await call(op.method, path, auth, ws.id, body);
        if (expected.code) {
          assertError(res, expected.status, expected.code);
          if (expected.code === 'insufficient_scope') {
            const challenge = String(res.headers['www-authenticate']);
            assert.match(challenge, /error="insufficient_scope"/);
            assert.match(challenge, new RegExp(`scope="${op.scope}"`));
          } else {
            assert.equal(res.headers['www-authenticate'], undefined);
          }
          if (target) {
            const still = await call('get', `/api/v1/issues/${target.id}`, setup.bearer, ws.id);
            assert.equal(still.status, 200);
            assert.equal(still.body.status, 'open', 'a refused request changes nothing');
          }
          return;
        }
        assert.equal(res.status, expected.status, JSON.stringify(res.body));
        switch (op.method) {
          case 'get':
            if (op.path === 'list') {
              assert.ok(Array.isArray(res.body.data));
            } else {
              assert.equal(res.body.id, target?.id);
            }
            break;
          case 'post':
            assert.equal(res.body.project_id, project.id);
            assert.equal(res.body.author_id, users[role].id);
            break;
          case 'patch':
            assert.equal(res.body.status, 'in_progress');
            break;
          case 'delete':
            assertError(
              await call('get', `/api/v1/issues/${target?.id}`, setup.bearer, ws.id),
              404,
              'not_found',
            );
            break;
        }
      };

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
          it(`${op.name}: ${role} with a ${scope} token → ${label}`, () =>
            run(role, tokens[role][scope].bearer, expected));
        }
        // Password credentials carry every scope; only the role decides.
        const expected = op.roles.includes(role)
          ? { status: op.ok }
          : { status: 403, code: 'forbidden' };
        const label = expected.code ? `${expected.status} ${expected.code}` : expected.status;
        it(`${op.name}: ${role} with Basic password → ${label}`, () =>
          run(role, users[role].basic, expected));
      }
    }
  });

  describe('POST /api/v1/projects/:projectId/issues', () => {
    let alice: TestUser;
    let bob: TestUser;
    let vera: TestUser;
    let carol: TestUser;
    let ws: TestWorkspace;
    let carolWs: TestWorkspace;
    let aliceToken: TestToken;
    let bobToken: TestToken;
    let carolToken: TestToken;
    let project: ProjectBody;
    let carolProject: ProjectBody;

    before(async () => {
      alice = await createUser(t);
      bob = await createUser(t);
      vera = await createUser(t);
      carol = await createUser(t);
      ws = await createWorkspace(t, alice);
      carolWs = await createWorkspace(t, carol);
      await addMember(t, ws, alice, bob, 'member');
      await addMember(t, ws, alice, vera, 'viewer');
      aliceToken = await createToken(t, alice, ws);
      bobToken = await createToken(t, bob, ws);
      carolToken = await createToken(t, carol, carolWs);
      project = await createProject(aliceToken.bearer, ws);
      carolProject = await createProject(carolToken.bearer, carolWs);
    });

    it('creates an open, normal-priority issue authored by the caller', async () => {
      const res = await call(
        'post',
        `/api/v1/projects/${project.id}/issues`,
        bobToken.bearer,
        ws.id,
        {
          subject: '  Login button does nothing  ',
        },
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), [
        'assignee_id',
        'author_id',
        'created_at',
        'description',
        'id',
        'priority',
        'project_id',
        'status',
        'subject',
        'updated_at',
        'workspace_id',
      ]);
      assert.match(res.body.id, UUID_RE);
      assert.equal(res.body.workspace_id, ws.id);
      assert.equal(res.body.project_id, project.id);
      assert.equal(res.body.subject, 'Login button does nothing');
      assert.equal(res.body.description, null);
      assert.equal(res.body.status, 'open');
      assert.equal(res.body.priority, 'normal');
      assert.equal(res.body.assignee_id, null);
      assert.equal(res.body.author_id, bob.id);
      assert.match(res.body.created_at, ISO_RE);
      assert.match(res.body.updated_at, ISO_RE);

      const got = await call('get', `/api/v1/issues/${res.body.id}`, aliceToken.bearer, ws.id);
      assert.equal(got.status, 200);
      assert.equal(got.body.author_id, bob.id);
      assert.equal(got.body.status, 'open');
      assert.equal(got.body.priority, 'normal');
    });

    it('takes description, priority and a member as assignee', async () => {
      const issue = await createIssue(aliceToken.bearer, ws, project, {
        description: 'Steps: click it',
        priority: 'urgent',
        assignee_id: bob.id,
      });
      assert.equal(issue.description, 'Steps: click it');
      assert.equal(issue.priority, 'urgent');
      assert.equal(issue.assignee_id, bob.id);
      assert.equal(issue.author_id, alice.id);
    });

    it('accepts any workspace member as assignee, a viewer included', async () => {
      const issue = await createIssue(aliceToken.bearer, ws, project, { assignee_id: vera.id });
      assert.equal(issue.assignee_id, vera.id);
    });

    it('accepts an upper-case assignee id and stores it in canonical form', async () => {
      const issue = await createIssue(aliceToken.bearer, ws, project, {
        assignee_id: bob.id.toUpperCase(),
      });
      assert.equal(issue.assignee_id, bob.id);
    });

    it('the author is the caller even with Basic password credentials', async () => {
      const issue = await createIssue(bob.basic, ws, project);
      assert.equal(issue.author_id, bob.id);
    });

    const badAssignees: Array<[string, () => string]> = [
      ['a user of another workspace', () => carol.id],
      ['an id nobody has', () => randomUUID()],
      ['a value that is not a UUID', () => 'bob'],
    ];
    for (const [label, assignee] of badAssignees) {
      it(`returns 400 validation_failed on assignee_id for ${label}, creating nothing`, async () => {
        const before = await call(
          'get',
          `/api/v1/issues?project_id=${project.id}`,
          aliceToken.bearer,
          ws.id,
        );
        const res = await call(
          'post',
          `/api/v1/projects/${project.id}/issues`,
          aliceToken.bearer,
          ws.id,
          {
            subject: 'Assigned to a stranger',
            assignee_id: assignee(),
          },
        );
        assertError(res, 400, 'validation_failed');
        assert.deepEqual(
          res.body.details.map((d: { field: string }) => d.field),
          ['assignee_id'],
        );
        const afterwards = await call(
          'get',
          `/api/v1/issues?project_id=${project.id}`,
          aliceToken.bearer,
          ws.id,
        );
        assert.equal(afterwards.body.total_count, before.body.total_count);
      });
    }

    const invalid: Array<[string, Json, string]> = [
      ['a missing subject', {}, 'subject'],
      ['an empty subject', { subject: '' }, 'subject'],
      ['a blank subject', { subject: '    ' }, 'subject'],
      ['a subject over 255 chars', { subject: 's'.repeat(256) }, 'subject'],
      ['an unknown status', { subject: 'X', status: 'blocked' }, 'status'],
      ['an unknown priority', { subject: 'X', priority: 'critical' }, 'priority'],
      ['a numeric description', { subject: 'X', description: 1 }, 'description'],
      ['an author_id (set by the server)', { subject: 'X', author_id: randomUUID() }, 'author_id'],
    ];
    for (const [label, body, field] of invalid) {
      it(`returns 400 validation_failed with details for ${label}`, async () => {
        const res = await call(
          'post',
          `/api/v1/projects/${project.id}/issues`,
          aliceToken.bearer,
          ws.id,
          body,
        );
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
      });
    }

    it('stores a multi-byte description of exactly 65,535 bytes in full', async () => {
      // 32,767 two-byte characters and one ASCII: the most a description may hold.
      const description = `${'é'.repeat(32_767)}a`;
      const res = await call(
        'post',
        `/api/v1/projects/${project.id}/issues`,
        aliceToken.bearer,
        ws.id,
        {
          subject: 'Long',
          description,
        },
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const got = await call('get', `/api/v1/issues/${res.body.id}`, aliceToken.bearer, ws.id);
      assert.equal(got.body.description, description);
    });

    it('refuses a description over 65,535 bytes with 400, on create and on update', async () => {
      // 40,000 characters, 80,000 bytes: the database could not store it.
      const description = 'é'.repeat(40_000);
      const res = await call(
        'post',
        `/api/v1/projects/${project.id}/issues`,
        aliceToken.bearer,
        ws.id,
        {
          subject: 'Too long',
          description,
        },
      );
      assertError(res, 400, 'validation_failed');
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['description'],
      );
      const issue = await createIssue(aliceToken.bearer, ws, project, { description: 'short' });
      const patch = await call('patch', `/api/v1/issues/${issue.id}`, aliceToken.bearer, ws.id, {
        description,
      });
      assertError(patch, 400, 'validation_failed');
      const got = await call('get', `/api/v1/issues/${issue.id}`, aliceToken.bearer, ws.id);
      assert.equal(got.body.description, 'short');
    });

    it('returns 404 not_found for an unknown project and for a project id that is not a UUID', async () => {
      assertError(
        await call('post', `/api/v1/projects/${randomUUID()}/issues`, aliceToken.bearer, ws.id, {
          subject: 'X',
        }),
        404,
        'not_found',
      );
      assertError(
        await call('post', '/api/v1/projects/nope/issues', aliceToken.bearer, ws.id, {
          subject: 'X',
        }),
        404,
        'not_found',
      );
    });

    it('returns 404 not_found for a project of another workspace, and creates nothing there', async () => {
      const res = await call(
        'post',
        `/api/v1/projects/${carolProject.id}/issues`,
        aliceToken.bearer,
        ws.id,
        { subject: 'Planted' },
      );
      assertError(res, 404, 'not_found');
      const theirs = await call('get', '/api/v1/issues', carolToken.bearer, carolWs.id);
      assert.equal(theirs.body.total_count, 0);
    });

    it('returns 403 workspace_mismatch when naming the other workspace in X-Workspace-Id', async () => {
      const res = await call(
        'post',
        `/api/v1/projects/${carolProject.id}/issues`,
        aliceToken.bearer,
        carolWs.id,
        { subject: 'Planted' },
      );
      assertError(res, 403, 'workspace_mismatch');
    });
  });

  describe('GET /api/v1/issues (filters)', () => {
    let alice: TestUser;
    let bob: TestUser;
    let ws: TestWorkspace;
    let token: TestToken;
    let p1: ProjectBody;
    let p2: ProjectBody;
    let foreignProject: ProjectBody;
    const issue: Record<string, string> = {};

    before(async () => {
      alice = await createUser(t);
      bob = await createUser(t);
      ws = await createWorkspace(t, alice);
      await addMember(t, ws, alice, bob, 'member');
      token = await createToken(t, alice, ws);
      p1 = await createProject(token.bearer, ws);
      p2 = await createProject(token.bearer, ws);
      const spec: Array<[string, ProjectBody, string, string | null]> = [
        ['i1', p1, 'open', bob.id],
        ['i2', p1, 'done', bob.id],
        ['i3', p1, 'open', alice.id],
        ['i4', p2, 'open', bob.id],
        ['i5', p2, 'in_progress', null],
      ];
      for (const [name, project, status, assignee] of spec) {
        const created = await createIssue(token.bearer, ws, project, {
          subject: name,
          assignee_id: assignee,
        });
        if (status !== 'open') {
          const res = await call('patch', `/api/v1/issues/${created.id}`, token.bearer, ws.id, {
            status,
          });
          assert.equal(res.status, 200);
        }
        issue[name] = created.id;
      }
      const other = await createUser(t);
      const otherWs = await createWorkspace(t, other);
      const otherToken = await createToken(t, other, otherWs);
      foreignProject = await createProject(otherToken.bearer, otherWs);
      await createIssue(otherToken.bearer, otherWs, foreignProject);
    });

    const pick = (...names: string[]): string[] => names.map((n) => issue[n]).sort();

    it('lists every issue of the workspace and only those', async () => {
      const res = await call('get', '/api/v1/issues', token.bearer, ws.id);
      assert.equal(res.status, 200);
      assert.equal(res.body.total_count, 5);
      assert.deepEqual(ids(res), pick('i1', 'i2', 'i3', 'i4', 'i5'));
      assert.equal(res.body.offset, 0);
      assert.equal(res.body.limit, 25);
    });

    const filters: Array<[string, () => string, string[]]> = [
      ['project_id', () => `project_id=${p1.id}`, ['i1', 'i2', 'i3']],
      ['status', () => 'status=open', ['i1', 'i3', 'i4']],
      ['assignee_id', () => `assignee_id=${bob.id}`, ['i1', 'i2', 'i4']],
      ['project_id + status', () => `project_id=${p1.id}&status=open`, ['i1', 'i3']],
      [
        'project_id + status + assignee_id',
        () => `project_id=${p1.id}&status=open&assignee_id=${bob.id}`,
        ['i1'],
      ],
      ['status + assignee_id', () => `status=done&assignee_id=${bob.id}`, ['i2']],
      ['a combination nothing matches', () => `project_id=${p2.id}&status=done`, []],
      ['an upper-case project_id', () => `project_id=${p2.id.toUpperCase()}`, ['i4', 'i5']],
      ['another workspace’s project', () => `project_id=${foreignProject.id}`, []],
      ['pagination with a filter', () => `assignee_id=${bob.id}&limit=2&offset=2`, ['i4']],
    ];
    for (const [label, query, expected] of filters) {
      it(`filters by ${label}`, async () => {
        const res = await call('get', `/api/v1/issues?${query()}`, token.bearer, ws.id);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        if (label.startsWith('pagination')) {
          assert.equal(res.body.total_count, 3);
          assert.equal(res.body.data.length, 1);
          // Which row is last depends on creation order; it is one of bob's.
          assert.ok(pick('i1', 'i2', 'i4').includes(res.body.data[0].id));
        } else {
          assert.deepEqual(ids(res), pick(...expected));
          assert.equal(res.body.total_count, expected.length);
        }
      });
    }

    const bad: Array<[string, string]> = [
      ['status=blocked', 'status'],
      ['project_id=p1', 'project_id'],
      ['assignee_id=bob', 'assignee_id'],
      ['limit=101', 'limit'],
      ['offset=-1', 'offset'],
    ];
    for (const [query, field] of bad) {
      it(`returns 400 validation_failed for ?${query}`, async () => {
        const res = await call('get', `/api/v1/issues?${query}`, token.bearer, ws.id);
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
      });
    }
  });

  describe('GET/PATCH/DELETE /api/v1/issues/:id', () => {
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let ws: TestWorkspace;
    let token: TestToken;
    let project: ProjectBody;

    before(async () => {
      alice = await createUser(t);
      bob = await createUser(t);
      carol = await createUser(t);
      ws = await createWorkspace(t, alice);
      await createWorkspace(t, carol);
      await addMember(t, ws, alice, bob, 'member');
      token = await createToken(t, alice, ws);
      project = await createProject(token.bearer, ws);
    });

    it('returns 404 not_found for an unknown id and for an id that is not a UUID', async () => {
      assertError(
        await call('get', `/api/v1/issues/${randomUUID()}`, token.bearer, ws.id),
        404,
        'not_found',
      );
      assertError(await call('get', '/api/v1/issues/42', token.bearer, ws.id), 404, 'not_found');
    });

    it('PATCH changes status, priority, subject and description; 200 with the object', async () => {
      const issue = await createIssue(token.bearer, ws, project, { description: 'old' });
      const res = await call('patch', `/api/v1/issues/${issue.id}`, token.bearer, ws.id, {
        status: 'done',
        priority: 'high',
        subject: 'Fixed now',
        description: null,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, issue.id);
      assert.equal(res.body.status, 'done');
      assert.equal(res.body.priority, 'high');
      assert.equal(res.body.subject, 'Fixed now');
      assert.equal(res.body.description, null);
      assert.equal(res.body.author_id, alice.id, 'the author never changes');
      const got = await call('get', `/api/v1/issues/${issue.id}`, token.bearer, ws.id);
      assert.equal(got.body.status, 'done');
      assert.equal(got.body.priority, 'high');
      assert.equal(got.body.subject, 'Fixed now');
      assert.equal(got.body.description, null);
    });

    it('PATCH walks through every status', async () => {
      const issue = await createIssue(token.bearer, ws, project);
      for (const status of ['in_progress', 'done', 'closed', 'open']) {
        const res = await call('patch', `/api/v1/issues/${issue.id}`, token.bearer, ws.id, {
          status,
        });
        assert.equal(res.status, 200);
        assert.equal(res.body.status, status);
      }
    });

    it('PATCH assigns a member and unassigns with assignee_id null', async () => {
      const issue = await createIssue(token.bearer, ws, project);
      const assign = await call('patch', `/api/v1/issues/${issue.id}`, token.bearer, ws.id, {
        assignee_id: bob.id,
      });
      assert.equal(assign.status, 200);
      assert.equal(assign.body.assignee_id, bob.id);
      const unassign = await call('patch', `/api/v1/issues/${issue.id}`, token.bearer, ws.id, {
        assignee_id: null,
      });
      assert.equal(unassign.status, 200);
      assert.equal(unassign.body.assignee_id, null);
      const got = await call('get', `/api/v1/issues/${issue.id}`, token.bearer, ws.id);
      assert.equal(got.body.assignee_id, null);
    });

    it('PATCH refuses a non-member assignee with 400 and keeps the old one', async () => {
      const issue = await createIssue(token.bearer, ws, project, { assignee_id: bob.id });
      const res = await call('patch', `/api/v1/issues/${issue.id}`, token.bearer, ws.id, {
        assignee_id: carol.id,
      });
      assertError(res, 400, 'validation_failed');
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['assignee_id'],
      );
      const got = await call('get', `/api/v1/issues/${issue.id}`, token.bearer, ws.id);
      assert.equal(got.body.assignee_id, bob.id);
    });

    const badPatches: Array<[string, Json, string]> = [
      ['an unknown status', { status: 'blocked' }, 'status'],
      ['a null status', { status: null }, 'status'],
      ['a null priority', { priority: null }, 'priority'],
      ['a null subject', { subject: null }, 'subject'],
      ['a blank subject', { subject: '  ' }, 'subject'],
      ['a project_id (issues do not move)', { project_id: randomUUID() }, 'project_id'],
      ['an author_id', { author_id: randomUUID() }, 'author_id'],
    ];
    for (const [label, body, field] of badPatches) {
      it(`PATCH returns 400 validation_failed for ${label} and changes nothing`, async () => {
        const issue = await createIssue(token.bearer, ws, project);
        const res = await call('patch', `/api/v1/issues/${issue.id}`, token.bearer, ws.id, body);
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
        const got = await call('get', `/api/v1/issues/${issue.id}`, token.bearer, ws.id);
        assert.equal(got.body.status, 'open');
        assert.equal(got.body.priority, 'normal');
        assert.equal(got.body.subject, issue.subject);
        assert.equal(got.body.project_id, project.id);
      });
    }

    it('DELETE returns 204, then GET, PATCH and DELETE return 404', async () => {
      const issue = await createIssue(token.bearer, ws, project);
      const res = await call('delete', `/api/v1/issues/${issue.id}`, token.bearer, ws.id);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      assertError(
        await call('get', `/api/v1/issues/${issue.id}`, token.bearer, ws.id),
        404,
        'not_found',
      );
      assertError(
        await call('patch', `/api/v1/issues/${issue.id}`, token.bearer, ws.id, { status: 'done' }),
        404,
        'not_found',
      );
      assertError(
        await call('delete', `/api/v1/issues/${issue.id}`, token.bearer, ws.id),
        404,
        'not_found',
      );
    });
  });

  describe('tenancy', () => {
    let wsA: TestWorkspace;
    let wsB: TestWorkspace;
    let tokenA: TestToken;
    let tokenB: TestToken;
    let issueB: IssueBody;

    before(async () => {
      const alice = await createUser(t);
      const bob = await createUser(t);
      wsA = await createWorkspace(t, alice);
      wsB = await createWorkspace(t, bob);
      tokenA = await createToken(t, alice, wsA, { scopes: ['admin'] });
      tokenB = await createToken(t, bob, wsB);
      await createIssue(tokenA.bearer, wsA, await createProject(tokenA.bearer, wsA));
      issueB = await createIssue(tokenB.bearer, wsB, await createProject(tokenB.bearer, wsB), {
        subject: 'B only',
      });
    });

    async function assertIssueBUnchanged(): Promise<void> {
      const got = await call('get', `/api/v1/issues/${issueB.id}`, tokenB.bearer, wsB.id);
      assert.equal(got.status, 200);
      assert.equal(got.body.subject, 'B only');
      assert.equal(got.body.status, 'open');
    }

    const requests: Array<[string, Method, object | undefined]> = [
      ['GET', 'get', undefined],
      ['PATCH', 'patch', { subject: 'Hijacked', status: 'closed' }],
      ['DELETE', 'delete', undefined],
    ];
    for (const [label, method, body] of requests) {
      it(`${label} of another workspace’s issue with your own X-Workspace-Id → 404 not_found`, async () => {
        const res = await call(method, `/api/v1/issues/${issueB.id}`, tokenA.bearer, wsA.id, body);
        assertError(res, 404, 'not_found');
        await assertIssueBUnchanged();
      });

      it(`${label} with the other workspace’s X-Workspace-Id → 403 workspace_mismatch`, async () => {
        const res = await call(method, `/api/v1/issues/${issueB.id}`, tokenA.bearer, wsB.id, body);
        assertError(res, 403, 'workspace_mismatch');
        await assertIssueBUnchanged();
      });
    }

    it('lists only the workspace’s own issues', async () => {
      const res = await call('get', '/api/v1/issues', tokenA.bearer, wsA.id);
      assert.equal(res.status, 200);
      assert.equal(res.body.total_count, 1);
      assert.equal(res.body.data[0].workspace_id, wsA.id);
    });

    it('missing X-Workspace-Id → 400 workspace_required', async () => {
      assertError(await call('get', '/api/v1/issues', tokenA.bearer), 400, 'workspace_required');
      assertError(
        await call('get', `/api/v1/issues/${issueB.id}`, tokenA.bearer),
        400,
        'workspace_required',
      );
    });
  });

  describe('plans and billing', () => {
    let alice: TestUser;
    let ws: TestWorkspace;
    let token: TestToken;
    let project: ProjectBody;
    let issue: IssueBody;

    before(async () => {
      alice = await createUser(t);
      ws = await createWorkspace(t, alice, { plan: 'pro' });
      token = await createToken(t, alice, ws);
      project = await createProject(token.bearer, ws);
      issue = await createIssue(token.bearer, ws, project);
    });

    for (const plan of ['free', 'solo_pro'] as const) {
      it(`on the ${plan} plan every /issues call gets 403 plan_required; the token is kept`, async () => {
        await setPlan(t, ws.id, { plan });
        try {
          const calls: Array<[Method, string, object | undefined]> = [
            ['get', '/api/v1/issues', undefined],
            ['post', `/api/v1/projects/${project.id}/issues`, { subject: 'X' }],
            ['get', `/api/v1/issues/${issue.id}`, undefined],
            ['patch', `/api/v1/issues/${issue.id}`, { status: 'done' }],
            ['delete', `/api/v1/issues/${issue.id}`, undefined],
          ];
          for (const [method, path, body] of calls) {
            assertError(await call(method, path, token.bearer, ws.id, body), 403, 'plan_required');
          }
          const stored = await t.dataSource.getRepository(ApiToken).findOneBy({ id: token.id });
          assert.ok(stored, 'the token must not be deleted by a downgrade');
          assert.equal(stored.revokedAt, null);
        } finally {
          await setPlan(t, ws.id, { plan: 'pro' });
        }
        const res = await call('get', `/api/v1/issues/${issue.id}`, token.bearer, ws.id);
        assert.equal(res.status, 200);
        assert.equal(res.body.status, 'open');
      });
    }

    it('billing read_only: GET works, POST/PATCH/DELETE get 402 workspace_read_only', async () => {
      await setPlan(t, ws.id, { billing_status: 'read_only' });
      try {
        assert.equal((await call('get', '/api/v1/issues', token.bearer, ws.id)).status, 200);
        assert.equal(
          (await call('get', `/api/v1/issues/${issue.id}`, token.bearer, ws.id)).status,
          200,
        );
        assertError(
          await call('post', `/api/v1/projects/${project.id}/issues`, token.bearer, ws.id, {
            subject: 'X',
          }),
          402,
          'workspace_read_only',
        );
        assertError(
          await call('patch', `/api/v1/issues/${issue.id}`, token.bearer, ws.id, {
            status: 'done',
          }),
          402,
          'workspace_read_only',
        );
        assertError(
          await call('delete', `/api/v1/issues/${issue.id}`, token.bearer, ws.id),
          402,
          'workspace_read_only',
        );
      } finally {
        await setPlan(t, ws.id, { billing_status: 'active' });
      }
      const got = await call('get', `/api/v1/issues/${issue.id}`, token.bearer, ws.id);
      assert.equal(got.status, 200);
      assert.equal(got.body.status, 'open');
      const list = await call('get', '/api/v1/issues', token.bearer, ws.id);
      assert.equal(list.body.total_count, 1);
    });
  });
});
