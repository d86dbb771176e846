import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { RequestLogRecorder } from '../../src/tokens/request-log/request-log.recorder';

/** The address a server listening on `::` sees for a client connecting to 127.0.0.1. */
function dualStackPeer(): Promise<string> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      resolve(socket.remoteAddress ?? '');
      socket.destroy();
      server.close();
    });
    server.once('error', reject);
    server.listen(0, '::', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      connect(port, '127.0.0.1').on('error', () => undefined);
    });
  });
}

// SPEC §11.1/§11.2: an IPv4 client of a dual-stack listener is its IPv4 address everywhere.
describe('an IPv4 client of a server listening on :: (dual stack)', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;

  before(async () => {
    // What the server would see without the normalization: the test means something only then.
    assert.equal(await dualStackPeer(), '::ffff:127.0.0.1');
    t = await startTestApp({ host: '::', captureLogs: true });
    owner = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'enterprise' });
  });
  after(() => t?.close());

  it('is 127.0.0.1 in last_used_ips, last_used_ip, the request log, refusals and the log lines', async () => {
    const token = await createToken(t, owner, ws, { scopes: ['read'] });
    const ok = await t
      .http()
      .get('/api/v1/projects')
      .set('Authorization', token.bearer)
      .set('X-Workspace-Id', ws.id);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    await t.app.get(RequestLogRecorder).flush();
    const shown = await t
      .http()
      .get(`/api/v1/tokens/${token.id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    assert.deepEqual(
      (shown.body.last_used_ips as Array<{ ip: string }>).map((a) => a.ip),
      ['127.0.0.1'],
    );
    const log = await t
      .http()
      .get(`/api/v1/tokens/${token.id}/requests`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(log.status, 200, JSON.stringify(log.body));
    assert.equal(log.body.data[0].ip, '127.0.0.1');

    const fenced = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({
        name: 'fenced',
        scopes: ['read'],
        expires_in_days: 7,
        allowed_cidrs: ['10.0.0.0/8'],
      });
    assert.equal(fenced.status, 201, JSON.stringify(fenced.body));
    const refused = await t
      .http()
      .get('/api/v1/projects')
      .set('Authorization', `Bearer ${fenced.body.token as string}`)
      .set('X-Workspace-Id', ws.id);
    assertError(refused, 403, 'ip_not_allowed');
    assert.match(refused.body.message, /127\.0\.0\.1/);
    assert.doesNotMatch(refused.body.message, /::ffff:/i);
    // An allow-list naming the IPv4 address lets the client in.
    const allowed = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'home', scopes: ['read'], expires_in_days: 7, allowed_cidrs: ['127.0.0.1'] });
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    const inside = await t
      .http()
      .get('/api/v1/projects')
      .set('Authorization', `Bearer ${allowed.body.token as string}`)
      .set('X-Workspace-Id', ws.id);
    assert.equal(inside.status, 200, JSON.stringify(inside.body));

    const logs = t.logs();
    assert.match(logs, /"remoteAddress":"127\.0\.0\.1"/);
    assert.doesNotMatch(logs, /::ffff:/i);
  });
});
