import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Plan, Role } from '../../src/workspaces/roles-and-plans';
import { Scope } from '../../src/auth/auth-types';
import { AuthCache } from '../../src/cache/auth-cache.service';
import { ApiToken } from '../../src/tokens/entities/api-token.entity';
import { basicAuth, TestApp } from './test-app';

export interface TestUser {
  id: string;
  username: string;
  password: string;
  basic: string;
}

export interface TestWorkspace {
  id: string;
  name: string;
}

export interface TestToken {
  id: string;
  token: string;
  bearer: string;
}

let counter = 0;
const unique = (stem: string): string =>
  `${stem}${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;

export async function createUser(
  t: TestApp,
  options: { username?: string; isAdmin?: boolean } = {},
): Promise<TestUser> {
  const username = options.username ?? unique('user');
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const res = await t
    .http()
    .post('/api/v1/admin/users')
    .set('Authorization', t.adminBasic)
    .send({
      username,
      email: `${username}@example.test`,
      password,
      is_admin: options.isAdmin ?? false,
    });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: res.body.id as string, username, password, basic: basicAuth(username, password) };
}

export async function setPlan(
  t: TestApp,
  workspaceId: string,
  changes: { plan?: Plan; billing_status?: 'active' | 'read_only'; token_packs?: number },
): Promise<void> {
  const res = await t
    .http()
    .patch(`/api/v1/admin/workspaces/${workspaceId}`)
    .set('Authorization', t.adminBasic)
    .send(changes);
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

/** A workspace owned by `owner`, on `plan` (default pro, so the API is usable). */
export async function createWorkspace(
  t: TestApp,
  owner: TestUser,
  options: { plan?: Plan; name?: string } = {},
): Promise<TestWorkspace> {
  const name = options.name ?? unique('ws');
  const res = await t
    .http()
    .post('/api/v1/workspaces')
    .set('Authorization', owner.basic)
    .send({ name });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const plan = options.plan ?? 'pro';
  if (plan !== 'free') {
    await setPlan(t, res.body.id as string, { plan });
  }
  return { id: res.body.id as string, name };
}

export async function addMember(
  t: TestApp,
  workspace: TestWorkspace,
  by: TestUser,
  user: TestUser,
  role: Role,
): Promise<void> {
  const res = await t
    .http()
    .post(`/api/v1/workspaces/${workspace.id}/members`)
    .set('Authorization', by.basic)
    .send({ user_id: user.id, role });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

export async function createToken(
  t: TestApp,
  user: TestUser,
  workspace: TestWorkspace | null,
  options: { scopes?: Scope[]; days?: number; name?: string } = {},
): Promise<TestToken> {
  const req = t.http().post('/api/v1/tokens').set('Authorization', user.basic);
  if (workspace) {
    req.set('X-Workspace-Id', workspace.id);
  }
  const res = await req.send({
    name: options.name ?? 'test token',
    scopes: options.scopes ?? ['read', 'write', 'delete'],
    expires_in_days: options.days ?? 30,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const token = res.body.token as string;
  return { id: res.body.id as string, token, bearer: `Bearer ${token}` };
}

/** Asserts the whole error body of SPEC §3. */
export function assertError(
  res: { status: number; body: unknown },
  status: number,
  code: string,
): void {
  assert.equal(
    res.status,
    status,
    `expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`,
  );
  const body = res.body as Record<string, unknown>;
  assert.equal(body.statusCode, status);
  assert.equal(body.code, code);
  assert.equal(typeof body.error, 'string');
  assert.equal(typeof body.message, 'string');
  assert.ok((body.message as string).length > 10, 'message should tell a person what to do');
}

/**
 * Moves a token's expiry into the past (the API refuses to create one that short-lived). The
 * write goes around the application, so the token's cached entry is dropped as well, as happens
 * anyway when the cache entry's 30 seconds are up.
 */
export async function expireToken(t: TestApp, tokenId: string): Promise<void> {
  await t.dataSource
    .getRepository(ApiToken)
    .update({ id: tokenId }, { expiresAt: new Date(Date.now() - 1000) });
  t.app.get(AuthCache).invalidate({ kind: 'token', tokenId });
}

const lastTotpStep = new Map<string, number>();

/**
 * A current TOTP code for `secret` that this test run has not used yet. The server accepts each
 * 30-second step once (RFC 6238 §5.2) and tolerates one step of drift, so successive calls walk
 * forward through the steps, waiting for the clock when they run ahead of it.
 */
export async function totpCode(secret: string): Promise<string> {
  const { generate } = await import('otplib');
  for (;;) {
    const current = Math.floor(Date.now() / 30_000);
    const step = Math.max(current, (lastTotpStep.get(secret) ?? -1) + 1);
    if (step <= current + 1) {
      lastTotpStep.set(secret, step);
      return generate({ secret, epoch: step * 30 + 1 });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
