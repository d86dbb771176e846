import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ISSUE_STATUSES } from '../../src/issues/entities/issue.entity';
import { ISSUE_COUNT_SLOTS } from '../../src/issues/issue-counts';
import { splitAt } from '../support/migrations';
import { freshDatabase, TestDatabase } from '../support/databases';
import {
  addMember,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

type Json = Record<string, unknown>;
type Method = 'get' | 'post' | 'patch' | 'delete';

// Issue 16 point 6: the issue list's total_count comes from per-project counters kept in the
// same transaction as every issue write. These tests hold it to a real COUNT in every filter
// shape, after every kind of write, concurrent ones included.
describe('Issue counters and the issue list total (issue 16 point 6)', () => {
  let t: TestApp;
  let owner: TestUser;
  let member: TestUser;
  let ws: TestWorkspace;
  let other: TestWorkspace;
  let token: TestToken;
  let otherToken: TestToken;
  let seq = 0;

  const call = (
    method: Method,
    path: string,
    auth: string,
    workspaceId: string,
    body?: object,
  ): request.Test => {
    const agent = t.http();
    const req = agent[method](path).set('Authorization', auth).set('X-Workspace-Id', workspaceId);
    return body ? req.send(body) : req;
  };

  async function project(on = ws, auth = token.bearer): Promise<string> {
    const res = await call('post', '/api/v1/projects', auth, on.id, {
      name: 'Counted',
      identifier: `c${Date.now().toString(36)}${seq++}`,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  }

  async function issue(projectId: string, fields: Json = {}, on = ws, auth = token.bearer) {
    const res = await call('post', `/api/v1/projects/${projectId}/issues`, auth, on.id, {
      subject: 'Counted issue',
      ...fields,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; status: string };
  }

  const num = (v: number | string | undefined): number => Number(v ?? 0);

  /** Every project's counters add up to a COUNT of its issues per status. */
  async function assertCountersExact(): Promise<void> {
    const projects = await t.dataSource.query<Array<{ id: string }>>('SELECT id FROM projects');
    const kept = await t.dataSource.query<
      Array<{ project_id: string; status: string; n: number | string; slots: number | string }>
    >(
      'SELECT project_id, status, SUM(n) AS n, COUNT(*) AS slots FROM issue_counts GROUP BY project_id, status',
    );
    const counted = await t.dataSource.query<
      Array<{ project_id: string; status: string; n: number | string }>
    >('SELECT project_id, status, COUNT(*) AS n FROM issues GROUP BY project_id, status');
    for (const row of kept) {
      assert.ok(
        projects.some((p) => p.id === row.project_id),
        `counters of a deleted project ${row.project_id}`,
      );
    }
    for (const p of projects) {
      for (const status of ISSUE_STATUSES) {
        const real = num(counted.find((c) => c.project_id === p.id && c.status === status)?.n);
        const row = kept.find((k) => k.project_id === p.id && k.status === status);
        assert.equal(num(row?.slots), ISSUE_COUNT_SLOTS, `slots of ${p.id}, ${status}`);
        assert.equal(
          num(row?.n),
          real,
          `project ${p.id}, ${status}: counters ${num(row?.n)}, COUNT ${real}`,
        );
      }
    }
  }

  /** A real COUNT of the issues a list with these filters covers. */
  async function realCount(
    workspaceId: string,
    filters: { project_id?: string; status?: string; assignee_id?: string },
    projectIds?: string[],
  ): Promise<number> {
    const where = ['workspace_id = ?'];
    const params: unknown[] = [workspaceId];
    if (filters.project_id) {
      where.push('project_id = ?');
      params.push(filters.project_id);
    }
    if (projectIds) {
      where.push(
        projectIds.length ? `project_id IN (${projectIds.map(() => '?').join(',')})` : '1 = 0',
      );
      params.push(...projectIds);
    }
    if (filters.status) {
      where.push('status = ?');
      params.push(filters.status);
    }
    if (filters.assignee_id) {
      where.push('assignee_id = ?');
      params.push(filters.assignee_id);
    }
    const [row] = await t.dataSource.query<Array<{ n: number | string }>>(
      `SELECT COUNT(*) AS n FROM issues WHERE ${where.join(' AND ')}`,
      params,
    );
    return num(row.n);
  }

  /** total_count equals a real COUNT for every filter shape, on the first page and past the end. */
  async function assertTotalsExact(
    auth: string,
    workspaceId: string,
    projectIds: string[],
    reach?: string[],
  ): Promise<void> {
    const shapes: Array<{ project_id?: string; status?: string; assignee_id?: string }> = [{}];
    for (const status of ISSUE_STATUSES) {
      shapes.push({ status });
    }
    for (const projectId of [...projectIds, randomUUID()]) {
      shapes.push({ project_id: projectId });
      shapes.push({ project_id: projectId, status: 'open' });
      shapes.push({ project_id: projectId, status: 'done' });
      shapes.push({ project_id: projectId, assignee_id: member.id });
    }
    shapes.push({ assignee_id: member.id }, { assignee_id: member.id, status: 'open' });
    for (const shape of shapes) {
      const reached =
        shape.project_id && reach && !reach.includes(shape.project_id)
          ? 0
          : await realCount(workspaceId, shape, shape.project_id ? undefined : reach);
      for (const offset of [0, 1000]) {
        const query = new URLSearchParams({ ...shape, offset: String(offset), limit: '5' });
        const res = await call('get', `/api/v1/issues?${query.toString()}`, auth, workspaceId);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(
          res.body.total_count,
          reached,
          `total_count for ${query.toString()}: ${res.body.total_count}, COUNT ${reached}`,
        );
        assert.equal(res.body.data.length, Math.max(0, Math.min(5, reached - offset)));
      }
    }
  }

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    member = await createUser(t);
    ws = await createWorkspace(t, owner);
    other = await createWorkspace(t, owner);
    await addMember(t, ws, owner, member, 'member');
    token = await createToken(t, owner, ws);
    otherToken = await createToken(t, owner, other);
  });
  after(() => t.close());

  it('creates, status changes and deletes keep the counters and every total exact', async () => {
    const p1 = await project();
    const p2 = await project();
    const made: Array<{ id: string; status: string }> = [];
    for (let i = 0; i < 12; i++) {
      made.push(
        await issue(i % 3 === 0 ? p2 : p1, {
          status: ISSUE_STATUSES[i % ISSUE_STATUSES.length],
          assignee_id: i % 2 === 0 ? member.id : null,
        }),
      );
    }
    // Another workspace's issues count only there.
    const foreign = await project(other, otherToken.bearer);
    await issue(foreign, {}, other, otherToken.bearer);
    await assertCountersExact();
    await assertTotalsExact(token.bearer, ws.id, [p1, p2]);

    // Status changes, a PATCH that keeps the status, and one that changes other fields only.
    let res = await call('patch', `/api/v1/issues/${made[0].id}`, token.bearer, ws.id, {
      status: 'closed',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'closed');
    res = await call('patch', `/api/v1/issues/${made[1].id}`, token.bearer, ws.id, {
      status: made[1].status,
      subject: 'Same status',
    });
    assert.equal(res.status, 200);
    res = await call('patch', `/api/v1/issues/${made[2].id}`, token.bearer, ws.id, {
      priority: 'urgent',
      assignee_id: null,
    });
    assert.equal(res.status, 200);
    res = await call('patch', `/api/v1/issues/${made[3].id}`, token.bearer, ws.id, {
      status: 'in_progress',
      subject: 'Reopened',
      priority: 'low',
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.subject, 'Reopened');
    const stored = await call('get', `/api/v1/issues/${made[3].id}`, token.bearer, ws.id);
    assert.equal(stored.body.status, 'in_progress');
    assert.equal(stored.body.priority, 'low');
    await assertCountersExact();
    await assertTotalsExact(token.bearer, ws.id, [p1, p2]);

    // Deletes; deleting again is 404 and changes nothing.
    for (const gone of made.slice(0, 4)) {
      res = await call('delete', `/api/v1/issues/${gone.id}`, token.bearer, ws.id);
      assert.equal(res.status, 204);
    }
    res = await call('delete', `/api/v1/issues/${made[0].id}`, token.bearer, ws.id);
    assert.equal(res.status, 404);
    await assertCountersExact();
    await assertTotalsExact(token.bearer, ws.id, [p1, p2]);

    // Deleting a project takes its issues and their counters along.
    res = await call('delete', `/api/v1/projects/${p2}`, token.bearer, ws.id);
    assert.equal(res.status, 204);
    await assertCountersExact();
    await assertTotalsExact(token.bearer, ws.id, [p1, p2]);
  });

  it('stays exact under concurrent creates, status changes and deletes', async () => {
    const p = await project();
    const p2 = await project();
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call('post', `/api/v1/projects/${i % 2 ? p : p2}/issues`, token.bearer, ws.id, {
          subject: `Parallel ${i}`,
          status: ISSUE_STATUSES[i % ISSUE_STATUSES.length],
        }),
      ),
    );
    for (const res of created) {
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    await assertCountersExact();
    const ids = created.map((res) => res.body.id as string);

    // The same few issues changed and deleted by racing requests: every one ends exact.
    const racing = await Promise.all(
      ids.slice(0, 6).flatMap((id, i) => [
        call('patch', `/api/v1/issues/${id}`, token.bearer, ws.id, { status: 'done' }),
        call('patch', `/api/v1/issues/${id}`, token.bearer, ws.id, { status: 'closed' }),
        call('patch', `/api/v1/issues/${id}`, token.bearer, ws.id, {
          status: ISSUE_STATUSES[i % ISSUE_STATUSES.length],
        }),
        i % 2 === 0
          ? call('delete', `/api/v1/issues/${id}`, token.bearer, ws.id)
          : call('post', `/api/v1/projects/${p}/issues`, token.bearer, ws.id, { subject: 'More' }),
      ]),
    );
    for (const res of racing) {
      // A PATCH or DELETE that came after a DELETE of the same issue is 404; never a 5xx.
      assert.ok([200, 201, 204, 404].includes(res.status), `${res.status} ${res.text}`);
    }
    await assertCountersExact();
    await assertTotalsExact(token.bearer, ws.id, [p, p2]);

    // Creates racing the deletion of their project: each is 201 before it or 404 after it.
    const doomed = await project();
    const [deleted, ...late] = await Promise.all([
      call('delete', `/api/v1/projects/${doomed}`, token.bearer, ws.id),
      ...Array.from({ length: 10 }, () =>
        call('post', `/api/v1/projects/${doomed}/issues`, token.bearer, ws.id, { subject: 'x' }),
      ),
    ]);
    assert.equal(deleted.status, 204);
    for (const res of late) {
      assert.ok([201, 404].includes(res.status), `${res.status} ${res.text}`);
    }
    const [orphans] = await t.dataSource.query<Array<{ n: number | string }>>(
      'SELECT COUNT(*) AS n FROM issues WHERE project_id = ?',
      [doomed],
    );
    assert.equal(num(orphans.n), 0);
    await assertCountersExact();
  });

  it('a token restricted to projects counts only the issues it reaches', async () => {
    const reached = await project();
    const hidden = await project();
    for (const [i, p] of [reached, reached, reached, hidden, hidden].entries()) {
      await issue(p, { status: i % 2 ? 'done' : 'open', assignee_id: member.id });
    }
    const res = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({
        name: 'restricted',
        scopes: ['read'],
        expires_in_days: 30,
        project_ids: [reached],
      });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const restricted = `Bearer ${res.body.token as string}`;
    await assertTotalsExact(restricted, ws.id, [reached, hidden], [reached]);

    const none = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'narrowed', scopes: ['read'], expires_in_days: 30, project_ids: [hidden] });
    assert.equal(none.status, 201, JSON.stringify(none.body));
    // Deleting its only project leaves it reaching nothing: 0, never the workspace's total.
    const del = await call('delete', `/api/v1/projects/${hidden}`, token.bearer, ws.id);
    assert.equal(del.status, 204);
    const list = await call('get', '/api/v1/issues', `Bearer ${none.body.token as string}`, ws.id);
    assert.equal(list.status, 200);
    assert.equal(list.body.total_count, 0);
    assert.deepEqual(list.body.data, []);
  });
});

describe('The issue counters migration (1765000000500) counts the issues that exist', () => {
  let db: TestDatabase;

  before(async () => {
    db = await freshDatabase();
  });
  after(() => db.drop());

  it('backfills every project per status', async () => {
    // The schema as it was before this migration (and every later one).
    const { earlier, full, undoLater } = splitAt(db, 'IssueCounts1765000000500');
    await earlier.initialize();
    const ws = randomUUID();
    const projects = [randomUUID(), randomUUID(), randomUUID()];
    const at = '2026-01-01 00:00:00';
    try {
      await earlier.runMigrations();
      await earlier.query(
        "INSERT INTO workspaces (id, name, plan, billing_status, token_packs, created_at, updated_at) VALUES (?, 'W', 'pro', 'active', 0, ?, ?)",
        [ws, at, at],
      );
      for (const [i, p] of projects.entries()) {
        await earlier.query(
          'INSERT INTO projects (id, workspace_id, name, identifier, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
          [p, ws, `P${i}`, `p${i}`, at, at],
        );
      }
      // Project 0: 5 issues over the statuses; project 1: 2 closed; project 2: none.
      const rows: Array<[string, string]> = [
        [projects[0], 'open'],
        [projects[0], 'open'],
        [projects[0], 'in_progress'],
        [projects[0], 'done'],
        [projects[0], 'closed'],
        [projects[1], 'closed'],
        [projects[1], 'closed'],
      ];
      for (const [p, status] of rows) {
        await earlier.query(
          "INSERT INTO issues (id, workspace_id, project_id, subject, status, priority, author_id, created_at, updated_at) VALUES (?, ?, ?, 's', ?, 'normal', ?, ?, ?)",
          [randomUUID(), ws, p, status, randomUUID(), at, at],
        );
      }
    } finally {
      await earlier.destroy();
    }
    await full.initialize();
    try {
      await full.runMigrations();
      const of = async (id: string): Promise<number[]> => {
        const rows = await full.query<Array<{ status: string; n: number | string }>>(
          'SELECT status, SUM(n) AS n FROM issue_counts WHERE project_id = ? GROUP BY status',
          [id],
        );
        return ISSUE_STATUSES.map((status) => Number(rows.find((r) => r.status === status)?.n));
      };
      assert.deepEqual(await of(projects[0]), [2, 1, 1, 1]);
      assert.deepEqual(await of(projects[1]), [0, 0, 0, 2]);
      assert.deepEqual(await of(projects[2]), [0, 0, 0, 0]);
      const [slots] = await full.query<Array<{ n: number | string }>>(
        'SELECT COUNT(*) AS n FROM issue_counts',
      );
      assert.equal(Number(slots.n), 3 * ISSUE_STATUSES.length * ISSUE_COUNT_SLOTS);
      // And back down past it (the later ones first), and up again.
      await undoLater();
      await full.undoLastMigration();
      const [undone] = await full.query<Array<{ n: number | string }>>(
        "SELECT COUNT(*) AS n FROM migrations WHERE name = 'IssueCounts1765000000500'",
      );
      assert.equal(Number(undone.n), 0);
      await full.runMigrations();
      assert.deepEqual(await of(projects[0]), [2, 1, 1, 1]);
    } finally {
      await full.destroy();
    }
  });
});
