import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import {
  addMember,
  assertError,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { fromAddress, sleep } from '../support/net';
import { startTestApp, TestApp } from '../support/test-app';

// SPEC §11.1: address allow-lists, project restrictions, PATCH /api/v1/tokens/:id, and minting
// that never widens. Clients bind to other loopback addresses (127.0.0.x), which the server
// sees as the client address.

const agents = new Map<string, Agent>();
function from(ip: string): Agent {
  let agent = agents.get(ip);
  if (!agent) {
    agent = fromAddress(ip);
    agents.set(ip, agent);
  }
  return agent;
}

describe('Token restrictions (SPEC §11.1)', () => {
  let t: TestApp;
  let owner: TestUser;
  let member: TestUser;
  let viewer: TestUser;
  let ws: TestWorkspace;
  let other: TestWorkspace;
  let p1: string;
  let p2: string;
  let p3: string;
  let otherProject: string;
  const issues: Record<string, string[]> = {};

  const api = (
    method: 'get' | 'post' | 'patch' | 'delete',
    path: string,
    auth: string,
    options: { ip?: string; body?: object; workspace?: string | null } = {},
  ): Promise<request.Response> => {
    let req = t.http()[method](path).set('Authorization', auth);
    if (options.workspace !== null) {
      req = req.set('X-Workspace-Id', options.workspace ?? ws.id);
    }
    if (options.ip) {
      req = req.agent(from(options.ip));
    }
    return options.body ? req.send(options.body) : req;
  };

  const mint = async (
    auth: string,
    body: Record<string, unknown>,
    workspace: string | null = ws.id,
  ): Promise<request.Response> =>
    api('post', '/api/v1/tokens', auth, {
      workspace,
      body: {
        name: 'restricted',
        scopes: ['read', 'write', 'delete'],
        expires_in_days: 30,
        ...body,
      },
    });

  const mintOk = async (auth: string, body: Record<string, unknown>): Promise<TestToken> => {
    const res = await mint(auth, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const token = res.body.token as string;
    return { id: res.body.id as string, token, bearer: `Bearer ${token}` };
  };

  const auditCount = async (action: string, targetId: string, ip?: string): Promise<number> => {
    const rows: Array<{ n: number | string }> = await t.dataSource.query(
      `SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND target_id = ?${ip ? ' AND ip = ?' : ''}`,
      ip ? [action, targetId, ip] : [action, targetId],
    );
    return Number(rows[0].n);
  };

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    member = await createUser(t);
    viewer = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'enterprise' });
    other = await createWorkspace(t, owner, { plan: 'enterprise' });
    await addMember(t, ws, owner, member, 'member');
    await addMember(t, ws, owner, viewer, 'viewer');
    const project = async (workspace: TestWorkspace, identifier: string): Promise<string> => {
      const res = await api('post', '/api/v1/projects', owner.basic, {
        workspace: workspace.id,
        body: { name: identifier, identifier },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    p1 = await project(ws, 'alpha');
    p2 = await project(ws, 'beta');
    p3 = await project(ws, 'gamma');
    otherProject = await project(other, 'elsewhere');
    for (const [id, n] of [
      [p1, 3],
      [p2, 4],
      [p3, 2],
    ] as const) {
      issues[id] = [];
      for (let i = 0; i < n; i += 1) {
        const res = await api('post', `/api/v1/projects/${id}/issues`, owner.basic, {
          body: { subject: `issue ${i}` },
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        issues[id].push(res.body.id as string);
      }
    }
  });
  after(async () => {
    for (const agent of agents.values()) {
      agent.destroy();
    }
    await t.close();
  });

  describe('allowed_cidrs', () => {
    it('stores entries in canonical form (network address, IPv4-mapped IPv6 as IPv4, lower case), without duplicates', async () => {
      const res = await mint(owner.basic, {
        allowed_cidrs: [
          '127.0.0.7/24',
          '::ffff:127.0.0.9',
          '2001:DB8::1/128',
          '2001:db8:0:0::/32',
          '127.0.0.0/24',
        ],
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.allowed_cidrs, [
        '127.0.0.0/24',
        '127.0.0.9',
        '2001:db8::1',
        '2001:db8::/32',
      ]);
      assert.equal(res.body.project_ids, null);
    });

    it('refuses entries that are not addresses or blocks, more than 20 entries, and an empty list, naming the field', async () => {
      for (const allowed_cidrs of [
        ['10.0.0.0/33'],
        ['not-an-address'],
        ['10.0.0.1', '999.1.1.1'],
        ['2001:db8::/129'],
        [''],
        [42],
        '10.0.0.0/8',
        [],
        Array.from({ length: 21 }, (_, i) => `10.0.${i}.0/24`),
      ]) {
        const res = await mint(owner.basic, { allowed_cidrs });
        assertError(res, 400, 'validation_failed');
        assert.ok(
          (res.body.details as Array<{ field: string }>).some((d) =>
            d.field.startsWith('allowed_cidrs'),
          ),
          JSON.stringify(res.body),
        );
      }
    });

    it('serves an allowed address and refuses another with 403 ip_not_allowed naming the address', async () => {
      const token = await mintOk(owner.basic, { allowed_cidrs: ['127.0.0.1', '127.0.8.0/30'] });
      for (const ip of ['127.0.0.1', '127.0.8.1', '127.0.8.3']) {
        const ok = await api('get', '/api/v1/projects', token.bearer, { ip });
        assert.equal(ok.status, 200, `${ip}: ${JSON.stringify(ok.body)}`);
      }
      for (const ip of ['127.0.8.4', '127.0.0.2']) {
        const refused = await api('get', '/api/v1/projects', token.bearer, { ip });
        assertError(refused, 403, 'ip_not_allowed');
        assert.match(refused.body.message as string, new RegExp(ip.replace(/\./g, '\\.')));
      }
      // Every credential form of the same token is refused alike, on routes without a workspace too.
      const viaKey = await t
        .http()
        .get('/api/v1/me')
        .set('X-API-Key', token.token)
        .agent(from('127.0.0.2'));
      assertError(viaKey, 403, 'ip_not_allowed');
      const viaQuery = await t.http().get(`/api/v1/me?key=${token.token}`).agent(from('127.0.0.2'));
      assertError(viaQuery, 403, 'ip_not_allowed');
    });

    it('matches an IPv4-mapped IPv6 entry against the IPv4 client address', async () => {
      const token = await mintOk(owner.basic, { allowed_cidrs: ['::ffff:127.0.9.0/120'] });
      assert.equal((await api('get', '/api/v1/me', token.bearer, { ip: '127.0.9.5' })).status, 200);
      assertError(
        await api('get', '/api/v1/me', token.bearer, { ip: '127.0.10.5' }),
        403,
        'ip_not_allowed',
      );
    });

    it('audits token.ip_denied once a minute per token and address, however many requests are refused', async () => {
      const token = await mintOk(owner.basic, { allowed_cidrs: ['127.0.0.1'] });
      const flood = await Promise.all(
        Array.from({ length: 30 }, () =>
          api('get', '/api/v1/projects', token.bearer, { ip: '127.0.11.1' }),
        ),
      );
      assert.ok(flood.every((res) => res.status === 403));
      await api('get', '/api/v1/projects', token.bearer, { ip: '127.0.11.2' });
      // The audit write does not hold up the refusal: give it a moment.
      for (let i = 0; i < 40 && (await auditCount('token.ip_denied', token.id)) < 2; i += 1) {
        await sleep(50);
      }
      await sleep(200);
      assert.equal(await auditCount('token.ip_denied', token.id, '127.0.11.1'), 1);
      assert.equal(await auditCount('token.ip_denied', token.id, '127.0.11.2'), 1);
    });

    it('does not record a refused request as the token’s last use', async () => {
      const token = await mintOk(owner.basic, { allowed_cidrs: ['127.0.0.1'] });
      assertError(
        await api('get', '/api/v1/projects', token.bearer, { ip: '127.0.12.1' }),
        403,
        'ip_not_allowed',
      );
      const shown = await api('get', `/api/v1/tokens/${token.id}`, owner.basic);
      assert.equal(shown.body.last_used_ip, null);
    });
  });

  describe('project_ids', () => {
    let restricted: TestToken;
    before(async () => {
      restricted = await mintOk(owner.basic, { project_ids: [p1, p3.toUpperCase()] });
    });

    it('lists and counts only the allowed projects, with pagination staying right', async () => {
      const all = await api('get', '/api/v1/projects', restricted.bearer);
      assert.equal(all.status, 200);
      assert.equal(all.body.total_count, 2);
      assert.deepEqual(
        (all.body.data as Array<{ id: string }>).map((p) => p.id).sort(),
        [p1, p3].sort(),
      );
      const page2 = await api('get', '/api/v1/projects?limit=1&offset=1', restricted.bearer);
      assert.equal(page2.body.total_count, 2);
      assert.equal((page2.body.data as unknown[]).length, 1);
      const past = await api('get', '/api/v1/projects?limit=1&offset=2', restricted.bearer);
      assert.equal(past.body.total_count, 2);
      assert.equal((past.body.data as unknown[]).length, 0);
      // In the order of the unrestricted list (oldest first), page after page.
      const ids = (res: { body: { data: Array<{ id: string }> } }): string[] =>
        res.body.data.map((p) => p.id);
      const everything = await api('get', '/api/v1/projects?limit=100', owner.basic);
      const expected = ids(everything).filter((id) => id === p1 || id === p3);
      assert.deepEqual(ids(all), expected);
      const page1 = await api('get', '/api/v1/projects?limit=1&offset=0', restricted.bearer);
      assert.deepEqual([...ids(page1), ...ids(page2)], expected);
    });

    it('lists and counts only the allowed projects’ issues; another project filters to nothing', async () => {
      const all = await api('get', '/api/v1/issues?limit=100', restricted.bearer);
      assert.equal(all.body.total_count, issues[p1].length + issues[p3].length);
      assert.deepEqual(
        (all.body.data as Array<{ id: string }>).map((i) => i.id).sort(),
        [...issues[p1], ...issues[p3]].sort(),
      );
      const one = await api('get', `/api/v1/issues?project_id=${p3}`, restricted.bearer);
      assert.equal(one.body.total_count, issues[p3].length);
      const paged = await api('get', '/api/v1/issues?limit=2&offset=4', restricted.bearer);
      assert.equal(paged.body.total_count, 5);
      assert.equal((paged.body.data as unknown[]).length, 1);
      const elsewhere = await api('get', `/api/v1/issues?project_id=${p2}`, restricted.bearer);
      assert.equal(elsewhere.status, 200);
      assert.equal(elsewhere.body.total_count, 0);
      assert.deepEqual(elsewhere.body.data, []);
    });

    it('answers 404 for another project and its issues, for every method', async () => {
      assertError(await api('get', `/api/v1/projects/${p2}`, restricted.bearer), 404, 'not_found');
      assertError(
        await api('patch', `/api/v1/projects/${p2}`, restricted.bearer, { body: { name: 'x' } }),
        404,
        'not_found',
      );
      const issue = issues[p2][0];
      assertError(await api('get', `/api/v1/issues/${issue}`, restricted.bearer), 404, 'not_found');
      assertError(
        await api('patch', `/api/v1/issues/${issue}`, restricted.bearer, {
          body: { status: 'done' },
        }),
        404,
        'not_found',
      );
      assertError(
        await api('delete', `/api/v1/issues/${issue}`, restricted.bearer),
        404,
        'not_found',
      );
      assertError(
        await api('post', `/api/v1/projects/${p2}/issues`, restricted.bearer, {
          body: { subject: 'x' },
        }),
        404,
        'not_found',
      );
      // Nothing changed behind the 404s.
      const unchanged = await api('get', `/api/v1/issues/${issue}`, owner.basic);
      assert.equal(unchanged.body.status, 'open');
      // The allowed project works.
      assert.equal((await api('get', `/api/v1/projects/${p1}`, restricted.bearer)).status, 200);
      const created = await api('post', `/api/v1/projects/${p1}/issues`, restricted.bearer, {
        body: { subject: 'allowed' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      issues[p1].push(created.body.id as string);
    });

    it('refuses project creation with 403 project_not_allowed', async () => {
      const res = await api('post', '/api/v1/projects', restricted.bearer, {
        body: { name: 'new', identifier: 'new-one' },
      });
      assertError(res, 403, 'project_not_allowed');
      const list = await api('get', '/api/v1/projects', owner.basic);
      assert.ok(
        !(list.body.data as Array<{ identifier: string }>).some((p) => p.identifier === 'new-one'),
      );
    });

    it('refuses unknown projects, other workspaces’ projects and instance tokens with project_ids', async () => {
      for (const project_ids of [
        [otherProject],
        ['00000000-0000-4000-8000-000000000000'],
        ['nope'],
        [p1, p1],
      ]) {
        const res = await mint(owner.basic, { project_ids });
        assertError(res, 400, 'validation_failed');
        assert.ok(
          (res.body.details as Array<{ field: string }>).some((d) =>
            d.field.startsWith('project_ids'),
          ),
        );
      }
      const instance = await mint(t.adminBasic, { project_ids: [p1] }, null);
      assertError(instance, 400, 'validation_failed');
    });

    it('never widens a token when a project is deleted: an emptied list reaches no project', async () => {
      const temp = await api('post', '/api/v1/projects', owner.basic, {
        body: { name: 'temp', identifier: 'temp' },
      });
      const onlyTemp = await mintOk(owner.basic, { project_ids: [temp.body.id as string] });
      const both = await mintOk(owner.basic, { project_ids: [temp.body.id as string, p2] });
      assert.equal((await api('get', '/api/v1/projects', onlyTemp.bearer)).body.total_count, 1);
      assert.equal(
        (await api('delete', `/api/v1/projects/${temp.body.id as string}`, owner.basic)).status,
        204,
      );
      const none = await api('get', '/api/v1/projects', onlyTemp.bearer);
      assert.equal(none.status, 200);
      assert.equal(none.body.total_count, 0);
      assert.equal((await api('get', '/api/v1/issues', onlyTemp.bearer)).body.total_count, 0);
      assertError(
        await api('post', '/api/v1/projects', onlyTemp.bearer, {
          body: { name: 'n', identifier: 'n2' },
        }),
        403,
        'project_not_allowed',
      );
      assert.deepEqual(
        (await api('get', `/api/v1/tokens/${onlyTemp.id}`, owner.basic)).body.project_ids,
        [],
      );
      assert.deepEqual(
        (await api('get', `/api/v1/tokens/${both.id}`, owner.basic)).body.project_ids,
        [p2],
      );
      assert.equal((await api('get', '/api/v1/projects', both.bearer)).body.total_count, 1);
    });
  });

  describe('PATCH /api/v1/tokens/:id', () => {
    it('changes name, addresses, projects and rate limit, audited, applied on the very next request', async () => {
      const token = await mintOk(member.basic, {});
      // Warm the cache with the unrestricted token from two addresses.
      assert.equal(
        (await api('get', '/api/v1/projects', token.bearer, { ip: '127.0.13.1' })).status,
        200,
      );
      assert.equal((await api('get', '/api/v1/projects', token.bearer)).body.total_count, 3);
      const res = await api('patch', `/api/v1/tokens/${token.id}`, member.basic, {
        body: {
          name: ' renamed ',
          allowed_cidrs: ['127.0.0.1/32'],
          project_ids: [p2],
          rate_limit: 50,
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.name, 'renamed');
      assert.deepEqual(res.body.allowed_cidrs, ['127.0.0.1']);
      assert.deepEqual(res.body.project_ids, [p2]);
      assert.equal(res.body.rate_limit, 50);
      assert.equal(res.body.token, undefined);
      assertError(
        await api('get', '/api/v1/projects', token.bearer, { ip: '127.0.13.1' }),
        403,
        'ip_not_allowed',
      );
      const narrowed = await api('get', '/api/v1/projects', token.bearer);
      assert.equal(narrowed.body.total_count, 1);
      assert.equal(await auditCount('token.updated', token.id), 1);
      const events: Array<{ metadata: string | object }> = await t.dataSource.query(
        "SELECT metadata FROM audit_events WHERE action = 'token.updated' AND target_id = ?",
        [token.id],
      );
      const metadata = (
        typeof events[0].metadata === 'string' ? JSON.parse(events[0].metadata) : events[0].metadata
      ) as Record<string, unknown>;
      assert.deepEqual(metadata.allowed_cidrs, ['127.0.0.1']);
      assert.equal(metadata.name, 'renamed');

      // null lifts a restriction; an unchanged PATCH writes and audits nothing.
      const lifted = await api('patch', `/api/v1/tokens/${token.id}`, member.basic, {
        body: { allowed_cidrs: null, project_ids: null },
      });
      assert.equal(lifted.status, 200);
      assert.equal(lifted.body.allowed_cidrs, null);
      assert.equal(
        (await api('get', '/api/v1/projects', token.bearer, { ip: '127.0.13.1' })).body.total_count,
        3,
      );
      const same = await api('patch', `/api/v1/tokens/${token.id}`, member.basic, {
        body: { name: 'renamed' },
      });
      assert.equal(same.status, 200);
      assert.equal(await auditCount('token.updated', token.id), 2);
    });

    it('lets a manager change a member’s token, and nobody else', async () => {
      const token = await mintOk(member.basic, {});
      const byOwner = await api('patch', `/api/v1/tokens/${token.id}`, owner.basic, {
        body: { allowed_cidrs: ['10.0.0.0/8'] },
      });
      assert.equal(byOwner.status, 200, JSON.stringify(byOwner.body));
      const otherMember = await createUser(t);
      await addMember(t, ws, owner, otherMember, 'member');
      assertError(
        await api('patch', `/api/v1/tokens/${token.id}`, otherMember.basic, {
          body: { name: 'x' },
        }),
        404,
        'not_found',
      );
      assertError(
        await api('patch', `/api/v1/tokens/${token.id}`, viewer.basic, { body: { name: 'x' } }),
        403,
        'forbidden',
      );
      assertError(
        await api('patch', `/api/v1/tokens/${token.id}`, owner.basic, {
          workspace: other.id,
          body: { name: 'x' },
        }),
        404,
        'not_found',
      );
    });

    it('refuses invalid changes with 400 and changes nothing', async () => {
      const token = await mintOk(owner.basic, {});
      for (const body of [
        { name: '' },
        { name: null },
        { rate_limit: 0 },
        { allowed_cidrs: ['1.2.3.4/40'] },
        { project_ids: [otherProject] },
        { scopes: ['admin'] },
        { expires_at: '2030-01-01T00:00:00Z' },
      ]) {
        const res = await api('patch', `/api/v1/tokens/${token.id}`, owner.basic, { body });
        assertError(res, 400, 'validation_failed');
      }
      const shown = await api('get', `/api/v1/tokens/${token.id}`, owner.basic);
      assert.equal(shown.body.name, 'restricted');
      assert.equal(shown.body.allowed_cidrs, null);
      assert.equal(await auditCount('token.updated', token.id), 0);
    });

    it('never raises a rate limit above the caller’s own token limit', async () => {
      const limited = await mintOk(owner.basic, { rate_limit: 100 });
      const child = await mintOk(limited.bearer, { expires_in_days: 29 });
      assert.equal(
        (await api('get', `/api/v1/tokens/${child.id}`, owner.basic)).body.rate_limit,
        100,
      );
      for (const rate_limit of [101, null]) {
        assertError(
          await api('patch', `/api/v1/tokens/${child.id}`, limited.bearer, {
            body: { rate_limit },
          }),
          400,
          'validation_failed',
        );
      }
      assert.equal(
        (
          await api('patch', `/api/v1/tokens/${child.id}`, limited.bearer, {
            body: { rate_limit: 10 },
          })
        ).status,
        200,
      );
    });
  });

  describe('minting never widens', () => {
    it('gives a restricted token’s children its restrictions by default', async () => {
      const parent = await mintOk(owner.basic, {
        allowed_cidrs: ['127.0.0.0/8'],
        project_ids: [p1],
      });
      const child = await mint(parent.bearer, { scopes: ['read'], expires_in_days: 29 });
      assert.equal(child.status, 201, JSON.stringify(child.body));
      assert.deepEqual(child.body.allowed_cidrs, ['127.0.0.0/8']);
      assert.deepEqual(child.body.project_ids, [p1]);
    });

    it('accepts narrower restrictions and refuses wider ones with 403 forbidden', async () => {
      const parent = await mintOk(owner.basic, {
        allowed_cidrs: ['127.0.0.0/16'],
        project_ids: [p1, p2],
      });
      // Children expire a day before their parent: a child may never outlive it.
      const narrower = await mint(parent.bearer, {
        allowed_cidrs: ['127.0.5.0/24', '127.0.0.1'],
        project_ids: [p2],
        expires_in_days: 29,
      });
      assert.equal(narrower.status, 201, JSON.stringify(narrower.body));
      for (const body of [
        { allowed_cidrs: null },
        { allowed_cidrs: ['127.0.0.0/8'] },
        { allowed_cidrs: ['127.1.0.1'] },
        { allowed_cidrs: ['::1'] },
        { project_ids: null },
        { project_ids: [p3] },
        { project_ids: [p1, p3] },
      ]) {
        const refused = await mint(parent.bearer, { ...body, expires_in_days: 29 });
        assertError(refused, 403, 'forbidden');
        assert.match(refused.body.message as string, /allowed_cidrs|project_ids/);
      }
    });

    it('refuses a restricted token lifting its own restrictions through PATCH', async () => {
      const token = await mintOk(owner.basic, { allowed_cidrs: ['127.0.0.1'], project_ids: [p1] });
      for (const body of [
        { allowed_cidrs: null },
        { project_ids: [p1, p2] },
        { allowed_cidrs: ['0.0.0.0/0'] },
      ]) {
        assertError(
          await api('patch', `/api/v1/tokens/${token.id}`, token.bearer, { body }),
          403,
          'forbidden',
        );
      }
      const narrowed = await api('patch', `/api/v1/tokens/${token.id}`, token.bearer, {
        body: { project_ids: [] },
      });
      assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
      assert.equal((await api('get', '/api/v1/projects', token.bearer)).body.total_count, 0);
    });

    it('lets a password (full rights) set any restriction', async () => {
      const res = await mint(member.basic, {
        allowed_cidrs: ['0.0.0.0/0', '::/0'],
        project_ids: [p1, p2, p3],
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    });
  });

  describe('rotation', () => {
    it('keeps the restrictions on the replacement', async () => {
      const token = await mintOk(owner.basic, { allowed_cidrs: ['127.0.0.1'], project_ids: [p3] });
      const rotated = await api('post', `/api/v1/tokens/${token.id}/rotate`, owner.basic, {
        body: {},
      });
      assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
      assert.deepEqual(rotated.body.allowed_cidrs, ['127.0.0.1']);
      assert.deepEqual(rotated.body.project_ids, [p3]);
      const bearer = `Bearer ${rotated.body.token as string}`;
      assertError(
        await api('get', '/api/v1/projects', bearer, { ip: '127.0.14.1' }),
        403,
        'ip_not_allowed',
      );
      assert.equal((await api('get', '/api/v1/projects', bearer)).body.total_count, 1);
    });
  });
});
