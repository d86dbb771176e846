import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { TestUser } from '../support/factories';
import { ADMIN_PASSWORD, ADMIN_USERNAME, TestApp } from '../support/test-app';

// Helpers shared by the credential specs (SPEC §4, §8).

export const DEFAULT_SETTINGS = {
  rest_api_enabled: true,
  allow_query_key: true,
  allow_basic_password: true,
  legacy_auth_enabled: true,
  legacy_auth_sunset_at: null,
  max_token_lifetime_days: 365,
} as const;

export interface AuditEventBody {
  id: string;
  action: string;
  workspace_id: string | null;
  actor_id: string | null;
  actor_type: 'user' | 'service_account' | null;
  impersonator_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
}

/** The bootstrap admin as a TestUser (its id read from /me). */
export async function adminUser(t: TestApp): Promise<TestUser> {
  const res = await t.http().get('/api/v1/me').set('Authorization', t.adminBasic);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return {
    id: res.body.id as string,
    username: ADMIN_USERNAME,
    password: ADMIN_PASSWORD,
    basic: t.adminBasic,
  };
}

export async function patchSettings(
  t: TestApp,
  changes: Record<string, unknown>,
  authorization: string = t.adminBasic,
): Promise<Record<string, unknown>> {
  const res = await t
    .http()
    .patch('/api/v1/admin/settings')
    .set('Authorization', authorization)
    .send(changes);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Record<string, unknown>;
}

/**
 * Puts every instance setting back to its default. Tries the admin's password first (the only
 * credential that works while the API is off), then the admin token (the only one that works
 * while Basic passwords are off).
 */
export async function restoreDefaultSettings(t: TestApp, adminBearer?: string): Promise<void> {
  for (const authorization of [t.adminBasic, adminBearer]) {
    if (!authorization) {
      continue;
    }
    const res = await t
      .http()
      .patch('/api/v1/admin/settings')
      .set('Authorization', authorization)
      .send(DEFAULT_SETTINGS);
    if (res.status === 200) {
      return;
    }
  }
  assert.fail('could not restore the default settings');
}

export async function setLegacyPassword(
  t: TestApp,
  user: TestUser,
  legacyPassword: string | null,
): Promise<void> {
  const res = await t
    .http()
    .patch(`/api/v1/admin/users/${user.id}`)
    .set('Authorization', t.adminBasic)
    .send({ legacy_api_password: legacyPassword });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

export async function adminAuditEvents(
  t: TestApp,
  query: Record<string, string>,
): Promise<AuditEventBody[]> {
  const res = await t
    .http()
    .get('/api/v1/admin/audit-events')
    .query({ limit: '100', ...query })
    .set('Authorization', t.adminBasic);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data as AuditEventBody[];
}

/** A 6-digit code that is valid for none of the time steps the server accepts around now. */
export async function wrongTotpCode(secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const valid = new Set<string>();
  for (let step = -3; step <= 3; step++) {
    valid.add(await generate({ secret, epoch: now + step * 30 }));
  }
  let code = 0;
  while (valid.has(String(code).padStart(6, '0'))) {
    code += 1;
  }
  return String(code).padStart(6, '0');
}

/** A settings response without its updated_at, to compare with DEFAULT_SETTINGS. */
export function settingsOf(body: unknown): Record<string, unknown> {
  const settings = { ...(body as Record<string, unknown>) };
  assert.ok(!Number.isNaN(Date.parse(settings.updated_at as string)), 'updated_at is a date');
  delete settings.updated_at;
  return settings;
}
