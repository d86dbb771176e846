import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addMember,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { fromAddress, sleep } from '../support/net';
import { startTestApp, TestApp } from '../support/test-app';

// SPEC §11.4: token lifecycle events land in the outbox (lifecycle_events) in the same
// transaction as the change; a refused change leaves none.

interface Row {
  type: string;
  workspace_id: string | null;
  data: string;
}

describe('Lifecycle events outbox (SPEC §11.4)', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;

  const eventsOf = async (
    tokenId: string,
  ): Promise<Array<{ type: string; data: Record<string, unknown> }>> => {
    const rows: Row[] = await t.dataSource.query(
      'SELECT type, workspace_id, data FROM lifecycle_events ORDER BY created_at, id',
    );
    return rows
      .map((r) => ({ type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }))
      .filter((e) => (e.data.token as { id: string }).id === tokenId);
  };

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'pro' });
  });
  after(() => t.close());

  it('records token.created and token.revoked (manual) with the token, never its secret', async () => {
    const token = await createToken(t, owner, ws);
    const res = await t
      .http()
      .delete(`/api/v1/tokens/${token.id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(res.status, 204);
    const events = await eventsOf(token.id);
    assert.deepEqual(
      events.map((e) => e.type),
      ['token.created', 'token.revoked'],
    );
    const revoked = events[1].data.token as Record<string, unknown>;
    assert.equal(revoked.revoked_reason, 'manual');
    assert.equal(revoked.workspace_id, ws.id);
    assert.equal(revoked.token_prefix, token.token.slice(0, 11));
    const raw = JSON.stringify(events);
    assert.ok(!raw.includes(token.token), 'the secret is never in an event');
  });

  it('records the replacement’s creation and the old token’s revocation (rotated) on rotation', async () => {
    const token = await createToken(t, owner, ws);
    const rotated = await t
      .http()
      .post(`/api/v1/tokens/${token.id}/rotate`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ grace_seconds: 60 });
    assert.equal(rotated.status, 201);
    const events = await eventsOf(token.id);
    assert.deepEqual(
      events.map((e) => e.type),
      ['token.created', 'token.revoked'],
    );
    assert.equal((events[1].data.token as { revoked_reason: string }).revoked_reason, 'rotated');
    assert.equal(events[1].data.replaced_by, rotated.body.id);
    const replacement = await eventsOf(rotated.body.id as string);
    assert.deepEqual(
      replacement.map((e) => e.type),
      ['token.created'],
    );
  });

  it('records token.revoked (member_removed) for each token of a removed member', async () => {
    const member = await createUser(t);
    await addMember(t, ws, owner, member, 'member');
    const one = await createToken(t, member, ws);
    const res = await t
      .http()
      .delete(`/api/v1/workspaces/${ws.id}/members/${member.id}`)
      .set('Authorization', owner.basic);
    assert.equal(res.status, 204, JSON.stringify(res.body));
    const events = await eventsOf(one.id);
    assert.equal(events.at(-1)?.type, 'token.revoked');
    assert.equal(
      (events.at(-1)?.data.token as { revoked_reason: string }).revoked_reason,
      'member_removed',
    );
  });

  it('records token.ip_denied once a minute per token and address, with the audit event', async () => {
    const res = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'fenced', scopes: ['read'], expires_in_days: 1, allowed_cidrs: ['127.0.0.1'] });
    assert.equal(res.status, 201);
    const agent = fromAddress('127.0.20.1');
    try {
      for (let i = 0; i < 5; i += 1) {
        const refused = await t
          .http()
          .get('/api/v1/me')
          .set('Authorization', `Bearer ${res.body.token as string}`)
          .agent(agent);
        assert.equal(refused.status, 403);
      }
    } finally {
      agent.destroy();
    }
    let denied: Array<{ type: string; data: Record<string, unknown> }> = [];
    for (let i = 0; i < 40 && denied.length === 0; i += 1) {
      await sleep(50);
      denied = (await eventsOf(res.body.id as string)).filter((e) => e.type === 'token.ip_denied');
    }
    await sleep(200);
    denied = (await eventsOf(res.body.id as string)).filter((e) => e.type === 'token.ip_denied');
    assert.equal(denied.length, 1);
    assert.equal(denied[0].data.ip, '127.0.20.1');
    assert.deepEqual(denied[0].data.allowed_cidrs, ['127.0.0.1']);
    // The same token fields as the other token events (README: name, prefix, scopes, expiry).
    const [created] = (await eventsOf(res.body.id as string)).filter(
      (e) => e.type === 'token.created',
    );
    assert.deepEqual(denied[0].data.token, created.data.token);
    assert.deepEqual(Object.keys(denied[0].data.token as object).sort(), [
      'expires_at',
      'id',
      'name',
      'revoked_at',
      'revoked_reason',
      'scopes',
      'token_prefix',
      'user_id',
      'workspace_id',
    ]);
    assert.equal((denied[0].data.token as { name: string }).name, 'fenced');
    assert.ok(!JSON.stringify(denied).includes(res.body.token as string), 'never the secret');
  });

  it('records nothing for a refused creation (the plan limit)', async () => {
    const small = await createWorkspace(t, owner, { plan: 'pro' });
    for (let i = 0; i < 5; i += 1) {
      await createToken(t, owner, small);
    }
    const before: Array<{ n: number | string }> = await t.dataSource.query(
      'SELECT COUNT(*) AS n FROM lifecycle_events WHERE workspace_id = ?',
      [small.id],
    );
    const refused = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', small.id)
      .send({ name: 'sixth', scopes: ['read'], expires_in_days: 1 });
    assert.equal(refused.status, 409);
    const afterRows: Array<{ n: number | string }> = await t.dataSource.query(
      'SELECT COUNT(*) AS n FROM lifecycle_events WHERE workspace_id = ?',
      [small.id],
    );
    assert.equal(Number(afterRows[0].n), Number(before[0].n));
    assert.equal(Number(before[0].n), 5);
  });
});
