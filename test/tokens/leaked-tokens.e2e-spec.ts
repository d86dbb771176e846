import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthCache } from '../../src/cache/auth-cache.service';
import { ApiToken } from '../../src/tokens/entities/api-token.entity';
import { sha256Hex, TokenFormat } from '../../src/tokens/token-format';
import { adminUser } from '../credentials/credential-helpers';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { fromAddress } from '../support/net';
import {
  discover,
  obtainTokens,
  OAuthTestApp,
  registerClient,
  startOAuthTestApp,
} from '../support/oauth';

// SPEC §11.6: leaked tokens are reported without credentials and revoked at once; an instance
// admin can look a token string up.

interface AuditRow {
  action: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  workspace_id: string | null;
}

/** The same string with its last character changed: the checksum no longer matches. */
function nearMiss(token: string): string {
  const last = token.at(-1) === 'a' ? 'b' : 'a';
  return token.slice(0, -1) + last;
}

describe('Leaked tokens (SPEC §11.6)', () => {
  let t: OAuthTestApp;
  let owner: TestUser;
  let ws: TestWorkspace;

  const report = (tokens: unknown, from?: string) => {
    const req = t.http().post('/api/v1/tokens/revoke-leaked').send({ tokens });
    return from ? req.agent(fromAddress(from)) : req;
  };
  const me = (bearer: string) => t.http().get('/api/v1/me').set('Authorization', bearer);
  const tokenRow = (id: string) => t.dataSource.getRepository(ApiToken).findOneByOrFail({ id });
  const auditOf = async (action: string, targetId: string): Promise<AuditRow[]> =>
    await t.dataSource.query<AuditRow[]>(
      'SELECT action, actor_id, target_type, target_id, ip, workspace_id FROM audit_events WHERE action = ? AND target_id = ?',
      [action, targetId],
    );
  const eventsOf = async (
    key: 'token' | 'oauth_grant',
    id: string,
  ): Promise<
    Array<{ type: string; workspace_id: string | null; data: Record<string, unknown> }>
  > => {
    const rows = await t.dataSource.query<
      Array<{ type: string; workspace_id: string | null; data: string }>
    >('SELECT type, workspace_id, data FROM lifecycle_events ORDER BY created_at, id');
    return rows
      .map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }))
      .filter((e) => (e.data[key] as { id?: string } | undefined)?.id === id);
  };

  before(async () => {
    t = await startOAuthTestApp({ env: { LEAKED_TOKEN_REPORT_LIMIT: '1000' } });
    owner = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'pro' });
  });
  after(() => t.close());

  describe('POST /api/v1/tokens/revoke-leaked', () => {
    it('answers 202 { received } without credentials, whatever was valid', async () => {
      const token = await createToken(t, owner, ws);
      const mixed = [token.token, 'not a token', nearMiss(token.token), `tso_${'x'.repeat(40)}`];
      const res = await report(mixed);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.deepEqual(res.body, { received: 4 });
      const nothing = await report(['ghp_nothing-of-ours', 'hello']);
      assert.equal(nothing.status, 202);
      assert.deepEqual(nothing.body, { received: 2 }, 'the same answer when nothing was a token');
    });

    it('revokes a valid token with reason leaked: it then gets 401 token_revoked; audited and announced', async () => {
      const token = await createToken(t, owner, ws);
      assert.equal((await me(token.bearer)).status, 200, 'works (and is cached) before');
      const res = await report([`  ${token.token}\n`], '127.0.31.1');
      assert.equal(res.status, 202);
      assertError(await me(token.bearer), 401, 'token_revoked');
      const row = await tokenRow(token.id);
      assert.equal(row.revokedReason, 'leaked');
      assert.ok(row.revokedAt);

      const audit = await auditOf('token.leaked', token.id);
      assert.equal(audit.length, 1);
      assert.equal(audit[0].actor_id, null);
      assert.equal(audit[0].ip, '127.0.31.1');
      assert.equal(audit[0].target_type, 'api_token');
      assert.equal(audit[0].workspace_id, ws.id);

      const events = await eventsOf('token', token.id);
      assert.deepEqual(
        events.map((e) => e.type),
        ['token.created', 'token.leaked'],
      );
      const leaked = events[1];
      assert.equal(leaked.workspace_id, ws.id);
      assert.equal((leaked.data.token as { revoked_reason: string }).revoked_reason, 'leaked');
      assert.ok(!JSON.stringify(events).includes(token.token), 'never the secret');

      const listed = await t
        .http()
        .get(`/api/v1/tokens/${token.id}`)
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id);
      assert.equal(listed.body.revoked_reason, 'leaked');
      assert.equal(listed.body.state, 'revoked');
    });

    it('is idempotent: reporting a token twice (or twice in one body) announces it once', async () => {
      const token = await createToken(t, owner, ws);
      assert.equal((await report([token.token, token.token])).status, 202);
      const first = await tokenRow(token.id);
      assert.equal((await report([token.token])).status, 202);
      const second = await tokenRow(token.id);
      assert.equal(second.revokedAt?.getTime(), first.revokedAt?.getTime());
      assert.equal((await auditOf('token.leaked', token.id)).length, 1);
      assert.equal(
        (await eventsOf('token', token.id)).filter((e) => e.type === 'token.leaked').length,
        1,
      );
    });

    it('revokes many tokens of several owners and workspaces in one report', async () => {
      const other = await createUser(t);
      const otherWs = await createWorkspace(t, other, { plan: 'pro' });
      const tokens: TestToken[] = [
        await createToken(t, owner, ws),
        await createToken(t, other, otherWs),
        await createToken(t, other, otherWs),
      ];
      const bystander = await createToken(t, other, otherWs);
      const noise = Array.from({ length: 500 }, (_, i) => `noise-${i}`);
      const res = await report([...noise, ...tokens.map((x) => x.token)]);
      assert.deepEqual(res.body, { received: 503 });
      for (const token of tokens) {
        assertError(await me(token.bearer), 401, 'token_revoked');
      }
      assert.equal((await me(bystander.bearer)).status, 200, 'an unreported token keeps working');
    });

    it('drops checksum-invalid strings without a database read', async () => {
      // A real token whose stored hash is that of a near miss: a lookup of the near miss would
      // find (and revoke) it. It stays active, so no lookup happened.
      const token = await createToken(t, owner, ws);
      const bad = nearMiss(token.token);
      await t.dataSource
        .getRepository(ApiToken)
        .update({ id: token.id }, { tokenHash: sha256Hex(bad) });
      t.app.get(AuthCache).invalidate({ kind: 'token', tokenId: token.id });
      assert.equal((await report([bad])).status, 202);
      const row = await tokenRow(token.id);
      assert.equal(row.revokedAt, null);
      assert.equal(row.revokedReason, null);
      assert.equal((await auditOf('token.leaked', token.id)).length, 0);
    });

    it('revokes the grant of a reported OAuth access token, and of a refresh token', async () => {
      const as = await discover(t);
      const client = await registerClient(t, { scopes: ['read'] });
      const byAccess = await obtainTokens(t, as, client, owner, { scope: 'read' });
      const byRefresh = await obtainTokens(t, as, client, owner, { scope: 'read' });
      const access = `Bearer ${byAccess.tokens.access_token}`;
      const other = `Bearer ${byRefresh.tokens.access_token}`;
      assert.equal((await me(access)).status, 200);
      assert.equal((await me(other)).status, 200);

      const res = await report(
        [byAccess.tokens.access_token, byRefresh.tokens.refresh_token as string],
        '127.0.31.2',
      );
      assert.equal(res.status, 202);
      assertError(await me(access), 401, 'token_revoked');
      assertError(await me(other), 401, 'token_revoked');

      const rows = await t.dataSource.query<Array<{ family_id: string }>>(
        'SELECT DISTINCT family_id FROM oauth_tokens WHERE user_id = ?',
        [owner.id],
      );
      assert.equal(rows.length, 2);
      const kinds: string[] = [];
      for (const { family_id: family } of rows) {
        const audit = await auditOf('token.leaked', family);
        assert.equal(audit.length, 1);
        assert.equal(audit[0].target_type, 'oauth_grant');
        assert.equal(audit[0].ip, '127.0.31.2');
        const events = await eventsOf('oauth_grant', family);
        assert.equal(events.length, 1);
        assert.equal(events[0].type, 'token.leaked');
        const grant = events[0].data.oauth_grant as Record<string, unknown>;
        assert.equal(grant.user_id, owner.id);
        assert.equal(grant.revoked_reason, 'leaked');
        kinds.push(grant.kind as string);
      }
      assert.deepEqual(kinds.sort(), ['access_token', 'refresh_token']);
      const raw = JSON.stringify(await eventsOf('oauth_grant', rows[0].family_id));
      assert.ok(!raw.includes('tso_') && !raw.includes('tsr_'), 'never the secret');
    });

    it('answers 400 validation_failed for 1,001 strings, none, non-strings, or a string over 200 characters', async () => {
      assertError(
        await report(Array.from({ length: 1001 }, (_, i) => `s${i}`)),
        400,
        'validation_failed',
      );
      assertError(await report([]), 400, 'validation_failed');
      assertError(await report([42, 'ts_x']), 400, 'validation_failed');
      assertError(await report([{ token: 'x' }]), 400, 'validation_failed');
      assertError(await report('ts_abc'), 400, 'validation_failed');
      assertError(await report(['x'.repeat(201)]), 400, 'validation_failed');
      const missing = await t.http().post('/api/v1/tokens/revoke-leaked').send({});
      assertError(missing, 400, 'validation_failed');
      assert.equal((await report(Array.from({ length: 1000 }, (_, i) => `s${i}`))).status, 202);
    });

    it('takes a full report of 1,000 well-formed strings (one IN list of 1,000 hashes)', async () => {
      const format = new TokenFormat('ts_');
      const token = await createToken(t, owner, ws);
      const unknown = Array.from({ length: 999 }, () => format.generate());
      assert.equal((await report([...unknown, token.token])).status, 202);
      assertError(await me(token.bearer), 401, 'token_revoked');
      const oauthShaped = Array.from(
        { length: 1000 },
        (_, i) => `tso_${String(i).padStart(40, 'x')}`,
      );
      assert.deepEqual((await report(oauthShaped)).body, { received: 1000 });
    });

    it('ignores cookies and credentials: still public, no X-Workspace-Id needed', async () => {
      const token = await createToken(t, owner, ws);
      const res = await t
        .http()
        .post('/api/v1/tokens/revoke-leaked')
        .set('Authorization', 'Bearer ts_garbage')
        .set('Cookie', 'tessera_session=whatever')
        .send({ tokens: [token.token] });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assertError(await me(token.bearer), 401, 'token_revoked');
    });
  });

  describe('POST /api/v1/admin/tokens/lookup', () => {
    let admin: TestUser;
    before(async () => {
      admin = await adminUser(t);
    });
    const lookup = (auth: string, body: object) =>
      t.http().post('/api/v1/admin/tokens/lookup').set('Authorization', auth).send(body);

    it('returns the token with its owner and workspace, revokes nothing, and is audited', async () => {
      const token = await createToken(t, owner, ws, { name: 'found-me' });
      const res = await lookup(admin.basic, { token: token.token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, token.id);
      assert.equal(res.body.name, 'found-me');
      assert.equal(res.body.state, 'active');
      assert.deepEqual(res.body.owner, { id: owner.id, username: owner.username });
      assert.deepEqual(res.body.workspace, { id: ws.id, name: ws.name });
      assert.equal(res.body.token, undefined, 'never the secret');
      assert.equal((await me(token.bearer)).status, 200, 'still works');
      const audit = await auditOf('token.looked_up', token.id);
      assert.equal(audit.length, 1);
      assert.equal(audit[0].actor_id, admin.id);
    });

    it('shows workspace null for an instance token', async () => {
      const instance = await createToken(t, admin, null, { scopes: ['read'] });
      const res = await lookup(admin.basic, { token: instance.token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.workspace, null);
      assert.equal(res.body.owner.id, admin.id);
    });

    it('answers 404 for an unknown or malformed string, audited without it', async () => {
      const token = await createToken(t, owner, ws);
      const unknown = new TokenFormat('ts_').generate();
      assertError(await lookup(admin.basic, { token: unknown }), 404, 'not_found');
      assertError(await lookup(admin.basic, { token: nearMiss(token.token) }), 404, 'not_found');
      const rows = await t.dataSource.query<Array<{ metadata: string; actor_id: string }>>(
        "SELECT metadata, actor_id FROM audit_events WHERE action = 'token.looked_up' AND target_id IS NULL",
      );
      assert.ok(rows.length >= 2);
      // README: the lookup is recorded (who, from where), the string is not.
      for (const row of rows) {
        assert.deepEqual(JSON.parse(row.metadata), { found: false, token_prefix: null });
        assert.equal(row.actor_id, admin.id);
      }
      assert.ok(
        !rows.some((r) => r.metadata.includes(unknown.slice(0, 11))),
        'the unknown string is not kept, not even its prefix',
      );
    });

    it('answers 403 to a non-admin and 401 without credentials, 400 without a token', async () => {
      const token = await createToken(t, owner, ws);
      assertError(await lookup(owner.basic, { token: token.token }), 403, 'forbidden');
      const anonymous = await t.http().post('/api/v1/admin/tokens/lookup').send({ token: 'x' });
      assertError(anonymous, 401, 'missing_credentials');
      assertError(await lookup(admin.basic, {}), 400, 'validation_failed');
    });
  });
});
