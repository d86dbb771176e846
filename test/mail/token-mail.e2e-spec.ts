import assert from 'node:assert/strict';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { ApiToken } from '../../src/tokens/entities/api-token.entity';
import {
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { sleep } from '../support/net';
import {
  discover,
  obtainTokens,
  OAuthTestApp,
  registerClient,
  startOAuthTestApp,
} from '../support/oauth';

// SPEC §11.4, §11.6: with SMTP_URL set, a token's owner gets an e-mail for token.expiring and
// token.leaked (the user behind a leaked OAuth grant too). A real SMTP server (smtp-server)
// listens on a local port for the test; never a real one. The app is an OAuth one (PUBLIC_URL
// its own address) so that OAuth grants can be made.

/** The message with quoted-printable and header folding undone. */
function decoded(raw: string): string {
  // Soft line breaks of the body, and folded header lines (RFC 5322).
  const joined = raw.replace(/=\r\n/g, '').replace(/\r\n[ \t]+/g, ' ');
  return Buffer.from(
    joined.replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

interface Received {
  from: string;
  to: string[];
  raw: string;
}

describe('E-mail notices (SPEC §11.4)', { timeout: 60_000 }, () => {
  let t: OAuthTestApp;
  let base: string;
  let server: SMTPServer;
  let owner: TestUser;
  let ws: TestWorkspace;
  const inbox: Received[] = [];
  let failNext = 0;

  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (chunk: Buffer) => {
          raw += chunk.toString();
        });
        stream.on('end', () => {
          if (failNext > 0) {
            failNext -= 1;
            const error = new Error('mailbox busy') as Error & { responseCode: number };
            error.responseCode = 451;
            callback(error);
            return;
          }
          inbox.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as AddressInfo;
    t = await startOAuthTestApp({
      env: {
        SCHEDULER_INTERVAL_SECONDS: '1',
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        MAIL_FROM: 'Tessera <tessera@example.test>',
      },
    });
    base = t.issuer.origin;
    owner = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'enterprise' });
  });
  after(async () => {
    await t.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const waitFor = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 100 && !check(); i += 1) {
      await sleep(100);
    }
  };

  it('mails the owner once, naming the token and the renewal page, and retries a refused send', async () => {
    const token = await createToken(t, owner, ws, { name: 'deploy bot' });
    failNext = 1; // the first attempt is refused by the server (451)
    const now = Date.now();
    await t.dataSource
      .getRepository(ApiToken)
      .update(
        { id: token.id },
        { createdAt: new Date(now - 30 * 86_400_000), expiresAt: new Date(now + 6 * 86_400_000) },
      );
    await waitFor(() => inbox.some((m) => m.raw.includes('deploy bot')));
    const mails = inbox.filter((m) => m.raw.includes('deploy bot'));
    assert.equal(mails.length, 1, 'one mail, after the retry');
    assert.equal(failNext, 0, 'the first attempt was refused');
    const [mail] = mails;
    assert.deepEqual(mail.to, [`${owner.username}@example.test`]);
    assert.equal(mail.from, 'tessera@example.test');
    assert.match(mail.raw, /Subject: Your Tessera token deploy bot expires in 7 days/);
    const text = decoded(mail.raw);
    assert.ok(text.includes(`${base}/account/tokens`), text);
    assert.match(
      text,
      /Your API token “deploy bot” \(ts_\w+…\) expires on \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    );
    assert.ok(!mail.raw.includes(token.token), 'never the secret');
    await sleep(2500); // more scheduler rounds: nothing is mailed twice
    assert.equal(inbox.filter((m) => m.raw.includes('deploy bot')).length, 1);
    const rows: Array<{ mailed_at: string | Date | null }> = await t.dataSource.query(
      "SELECT mailed_at FROM lifecycle_events WHERE type = 'token.expiring' AND data LIKE ?",
      [`%${token.id}%`],
    );
    assert.equal(rows.length, 1);
    assert.ok(rows[0].mailed_at);
  });

  it('mails the owner when a token is reported leaked', async () => {
    const token = await createToken(t, owner, ws, { name: 'pasted in a gist' });
    const report = await t
      .http()
      .post('/api/v1/tokens/revoke-leaked')
      .send({ tokens: [token.token] });
    assert.equal(report.status, 202);
    await waitFor(() => inbox.some((m) => decoded(m.raw).includes('pasted in a gist')));
    const mails = inbox.filter((m) => decoded(m.raw).includes('pasted in a gist'));
    assert.equal(mails.length, 1);
    assert.match(
      decoded(mails[0].raw),
      /Subject: Your Tessera token pasted in a gist was reported leaked and is revoked/,
    );
  });

  it('mails the user when an OAuth token of theirs is reported leaked, naming the application', async () => {
    const as = await discover(t);
    const client = await registerClient(t, { scopes: ['read'], name: 'Deploy dashboard' });
    const grant = await obtainTokens(t, as, client, owner, { scope: 'read' });
    const access = grant.tokens.access_token;
    const refresh = grant.tokens.refresh_token as string;
    const about = (m: Received): boolean => decoded(m.raw).includes('Deploy dashboard');
    // Both tokens of one grant: one grant revoked, one event, one e-mail.
    const report = await t
      .http()
      .post('/api/v1/tokens/revoke-leaked')
      .send({ tokens: [access, refresh] });
    assert.equal(report.status, 202);
    await waitFor(() => inbox.some(about));
    await sleep(2500); // more scheduler rounds: nothing is mailed twice
    const mails = inbox.filter(about);
    assert.equal(mails.length, 1);
    const [mail] = mails;
    assert.deepEqual(mail.to, [`${owner.username}@example.test`]);
    const text = decoded(mail.raw);
    assert.match(
      text,
      /Subject: Your Tessera authorization of Deploy dashboard was revoked: one of its tokens leaked/,
    );
    assert.match(
      text,
      /An OAuth (access|refresh) token that “Deploy dashboard” held for your account was reported as leaked/,
    );
    assert.ok(text.includes(`${base}/account/applications`), text);
    assert.ok(!mail.raw.includes(access) && !mail.raw.includes(refresh), 'never the secret');
    assert.ok(!text.includes(access.slice(4, 20)) && !text.includes(refresh.slice(4, 20)));
    const rows: Array<{ mailed_at: string | Date | null }> = await t.dataSource.query(
      "SELECT mailed_at FROM lifecycle_events WHERE type = 'token.leaked' AND data LIKE ?",
      [`%${client.id}%`],
    );
    assert.equal(rows.length, 1);
    assert.ok(rows[0].mailed_at, 'marked mailed');
  });

  it('mails a service account’s token notice to the person who created the account', async () => {
    const created = await t
      .http()
      .post(`/api/v1/workspaces/${ws.id}/service-accounts`)
      .set('Authorization', owner.basic)
      .send({ name: 'Nightly bot', role: 'member' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const minted = await t
      .http()
      .post(`/api/v1/workspaces/${ws.id}/service-accounts/${created.body.id as string}/tokens`)
      .set('Authorization', owner.basic)
      .send({ name: 'nightly job', scopes: ['read'], expires_in_days: 30 });
    assert.equal(minted.status, 201, JSON.stringify(minted.body));
    const now = Date.now();
    await t.dataSource
      .getRepository(ApiToken)
      .update(
        { id: minted.body.id as string },
        { createdAt: new Date(now - 30 * 86_400_000), expiresAt: new Date(now + 6 * 86_400_000) },
      );
    await waitFor(() => inbox.some((m) => m.raw.includes('nightly job')));
    const mails = inbox.filter((m) => m.raw.includes('nightly job'));
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0].to, [`${owner.username}@example.test`]);
    assert.match(mails[0].raw, /Subject: The Tessera token nightly job expires in 7 days/);
    assert.match(
      decoded(mails[0].raw),
      /The API token “nightly job” \(ts_\w+…\) of the service account “Nightly bot” \(sa-[0-9a-f]{12}\) expires on/,
    );
    assert.ok(!inbox.some((m) => m.to.some((to) => to.endsWith('.invalid'))));
  });

  it('sends nothing for events that are not mailed (token.created, token.revoked)', async () => {
    const before = inbox.length;
    const token = await createToken(t, owner, ws, { name: 'quiet' });
    await t
      .http()
      .delete(`/api/v1/tokens/${token.id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    await sleep(2500);
    assert.equal(inbox.length, before);
  });
});
