import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { Plan } from '../../src/workspaces/roles-and-plans';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  expireToken,
  setPlan,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

function postToken(t: TestApp, user: TestUser, ws: TestWorkspace, name: string): request.Test {
  return t
    .http()
    .post('/api/v1/tokens')
    .set('Authorization', user.basic)
    .set('X-Workspace-Id', ws.id)
    .send({ name, scopes: ['read'], expires_in_days: 30 });
}

/** Fires `count` creations at once; returns how many were created and checks every refusal. */
async function createInParallel(
  t: TestApp,
  user: TestUser,
  ws: TestWorkspace,
  count: number,
): Promise<number> {
  const responses = await Promise.all(
    Array.from({ length: count }, (_, i) => postToken(t, user, ws, `parallel ${i}`)),
  );
  let created = 0;
  for (const res of responses) {
    if (res.status === 201) {
      created++;
    } else {
      assertError(res, 409, 'token_limit_reached');
    }
  }
  return created;
}

async function activeCount(t: TestApp, user: TestUser, ws: TestWorkspace): Promise<number> {
  const res = await t
    .http()
    .get('/api/v1/tokens?state=active&all=true')
    .set('Authorization', user.basic)
    .set('X-Workspace-Id', ws.id);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.total_count as number;
}

describe('Plan limits on API tokens', () => {
  let t: TestApp;
  let owner: TestUser;

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
  });
  after(() => t.close());

  describe('pro plan (5 active tokens, 5 more per token pack)', () => {
    let ws: TestWorkspace;

    before(async () => {
      ws = await createWorkspace(t, owner, { plan: 'pro' });
    });

    it('creates exactly 5 of 30 parallel requests and refuses the rest with 409 token_limit_reached', async () => {
      assert.equal(await createInParallel(t, owner, ws, 30), 5);
      assert.equal(await activeCount(t, owner, ws), 5);
      const res = await postToken(t, owner, ws, 'one too many');
      assertError(res, 409, 'token_limit_reached');
    });

    it('creates exactly 5 more of 30 parallel requests after one token pack is added', async () => {
      await setPlan(t, ws.id, { token_packs: 1 });
      assert.equal(await createInParallel(t, owner, ws, 30), 5);
      assert.equal(await activeCount(t, owner, ws), 10);
    });

    it('lets one more token be created after one is revoked at the limit', async () => {
      const list = await t
        .http()
        .get('/api/v1/tokens?limit=1')
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id);
      const victim = list.body.data[0].id as string;
      const del = await t
        .http()
        .delete(`/api/v1/tokens/${victim}`)
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id);
      assert.equal(del.status, 204);
      const res = await postToken(t, owner, ws, 'replacement');
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assertError(await postToken(t, owner, ws, 'and another'), 409, 'token_limit_reached');
      assert.equal(await activeCount(t, owner, ws), 10);
    });

    it('lets a token be rotated at the limit, since the old one stops counting', async () => {
      const list = await t
        .http()
        .get('/api/v1/tokens?limit=1')
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id);
      const res = await t
        .http()
        .post(`/api/v1/tokens/${list.body.data[0].id as string}/rotate`)
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id)
        .send({ grace_seconds: 0 });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assertError(await postToken(t, owner, ws, 'still full'), 409, 'token_limit_reached');
    });
  });

  describe('rotation with a grace period (pro plan)', () => {
    let ws: TestWorkspace;

    before(async () => {
      ws = await createWorkspace(t, owner, { plan: 'pro' });
    });

    it('keeps one grace token per chain: six rotations with a day of grace leave 6 working tokens, not 11', async () => {
      for (let i = 0; i < 4; i++) {
        await postToken(t, owner, ws, `chain ${i}`).expect(201);
      }
      const first = await postToken(t, owner, ws, 'rotated six times').expect(201);
      assert.equal(await activeCount(t, owner, ws), 5, 'the workspace is at its limit');
      const secrets: string[] = [first.body.token as string];
      let current = first.body.id as string;
      for (let i = 0; i < 6; i++) {
        const rotated = await t
          .http()
          .post(`/api/v1/tokens/${current}/rotate`)
          .set('Authorization', owner.basic)
          .set('X-Workspace-Id', ws.id)
          .send({ grace_seconds: 86400 })
          .expect(201);
        current = rotated.body.id as string;
        secrets.push(rotated.body.token as string);
      }
      const working: boolean[] = [];
      for (const secret of secrets) {
        const res = await t
          .http()
          .get('/api/v1/projects')
          .set('Authorization', `Bearer ${secret}`)
          .set('X-Workspace-Id', ws.id);
        working.push(res.status === 200);
      }
      // Only the newest token and the one it replaced (in its grace period) still work.
      assert.deepEqual(working, [false, false, false, false, false, true, true]);
      assert.equal(
        await activeCount(t, owner, ws),
        6,
        'five chains, one of them in its grace period',
      );
      assertError(await postToken(t, owner, ws, 'still at the limit'), 409, 'token_limit_reached');
    });
  });

  it('counts every member’s tokens against the workspace and ignores expired ones', async () => {
    const ws = await createWorkspace(t, owner, { plan: 'pro' });
    const member = await createUser(t);
    await addMember(t, ws, owner, member, 'member');
    const tokens = [];
    for (let i = 0; i < 3; i++) {
      tokens.push(await createToken(t, owner, ws, { scopes: ['read'] }));
    }
    for (let i = 0; i < 2; i++) {
      tokens.push(await createToken(t, member, ws, { scopes: ['read'] }));
    }
    assertError(await postToken(t, member, ws, 'sixth'), 409, 'token_limit_reached');
    await expireToken(t, tokens[0].id);
    assert.equal((await postToken(t, member, ws, 'after expiry')).status, 201);
    assertError(await postToken(t, owner, ws, 'full again'), 409, 'token_limit_reached');
  });

  it('creates exactly 20 of 30 parallel requests on the team plan', async () => {
    const ws = await createWorkspace(t, owner, { plan: 'team' });
    assert.equal(await createInParallel(t, owner, ws, 30), 20);
    assert.equal(await activeCount(t, owner, ws), 20);
  });

  for (const plan of ['free', 'solo_pro'] satisfies Plan[]) {
    it(`returns 403 plan_required on POST /tokens for the ${plan} plan`, async () => {
      const ws = await createWorkspace(t, owner, { plan });
      const res = await postToken(t, owner, ws, 'no api');
      assertError(res, 403, 'plan_required');
    });
  }

  it('keeps existing tokens on a downgrade to free but refuses them with 403 plan_required', async () => {
    const ws = await createWorkspace(t, owner, { plan: 'pro' });
    const token = await createToken(t, owner, ws);
    await setPlan(t, ws.id, { plan: 'free' });
    const res = await t
      .http()
      .get('/api/v1/tokens/self')
      .set('Authorization', token.bearer)
      .set('X-Workspace-Id', ws.id);
    assertError(res, 403, 'plan_required');
    await setPlan(t, ws.id, { plan: 'pro' });
    const back = await t
      .http()
      .get('/api/v1/tokens/self')
      .set('Authorization', token.bearer)
      .set('X-Workspace-Id', ws.id);
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.id, token.id);
  });
});
