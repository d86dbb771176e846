import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Health probes and HTTP edge cases', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  describe('GET /health/live', () => {
    it('returns 200 {status: ok} without credentials', async () => {
      const res = await t.http().get('/health/live');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { status: 'ok' });
    });
  });

  describe('GET /health/ready', () => {
    it('returns 200 with the database up, without credentials', async () => {
      const res = await t.http().get('/health/ready');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'ok');
      assert.equal(res.body.info.database.status, 'up');
      assert.deepEqual(res.body.error, {});
    });

    it('ignores credentials, even bad ones', async () => {
      const res = await t.http().get('/health/ready').set('Authorization', 'Bearer ts_nonsense');
      assert.equal(res.status, 200);
    });
  });

  describe('X-Request-Id', () => {
    it('is a fresh UUID on every response, errors included', async () => {
      const a = await t.http().get('/health/live');
      const b = await t.http().get('/health/live');
      const refused = await t.http().get('/api/v1/me');
      assert.equal(refused.status, 401);
      for (const res of [a, b, refused]) {
        assert.match(String(res.headers['x-request-id']), UUID);
      }
      assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
    });
  });

  describe('unknown routes', () => {
    it('returns 404 not_found as JSON', async () => {
      const res = await t.http().get('/no/such/route');
      assertError(res, 404, 'not_found');
      assert.match(String(res.headers['content-type']), /application\/json/);
      assert.equal(res.body.error, 'Not Found');
    });

    it('returns 404 not_found under /api/v1 too, with or without credentials', async () => {
      assertError(await t.http().get('/api/v1/nothing-here'), 404, 'not_found');
      assertError(
        await t.http().get('/api/v1/nothing-here').set('Authorization', t.adminBasic),
        404,
        'not_found',
      );
    });
  });

  describe('POST /api/v1/workspaces with a broken body', () => {
    it('returns 400 validation_failed for invalid JSON', async () => {
      const res = await t
        .http()
        .post('/api/v1/workspaces')
        .set('Authorization', t.adminBasic)
        .set('Content-Type', 'application/json')
        .send('{"name": ');
      assertError(res, 400, 'validation_failed');
      assert.match(String(res.headers['content-type']), /application\/json/);
      assert.match(String(res.headers['x-request-id']), UUID);
    });

    it('returns 413 payload_too_large for a 2 MiB body', async () => {
      const res = await t
        .http()
        .post('/api/v1/workspaces')
        .set('Authorization', t.adminBasic)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }));
      assertError(res, 413, 'payload_too_large');
      assert.match(String(res.headers['content-type']), /application\/json/);
    });

    it('returns 415 unsupported_media_type for application/xml', async () => {
      const res = await t
        .http()
        .post('/api/v1/workspaces')
        .set('Authorization', t.adminBasic)
        .set('Content-Type', 'application/xml')
        .send('<workspace><name>x</name></workspace>');
      assertError(res, 415, 'unsupported_media_type');
      assert.match(String(res.headers['content-type']), /application\/json/);
    });

    it('still creates the workspace from a valid body afterwards', async () => {
      const res = await t
        .http()
        .post('/api/v1/workspaces')
        .set('Authorization', t.adminBasic)
        .send({ name: `health-${Date.now()}` });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    });
  });

  // Last: it takes this app's database away. (A second app in the same process would not do:
  // Passport strategies are registered process-wide, so the newest app's would serve both.)
  describe('GET /health/ready without a database', () => {
    before(() => t.dataSource.destroy());

    it('returns 503 service_unavailable, so the container health check fails', async () => {
      const res = await t.http().get('/health/ready');
      assertError(res, 503, 'service_unavailable');
      assert.match(String(res.headers['content-type']), /application\/json/);
    });

    it('keeps /health/live at 200: liveness does not depend on the database', async () => {
      const res = await t.http().get('/health/live');
      assert.equal(res.status, 200);
    });
  });
});
