import assert from 'node:assert/strict';
import { request as httpRequest, IncomingHttpHeaders } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MAX_BODY_BYTES, MAX_HEADER_BYTES } from '../../src/common/http/client-errors';
import { changedTables, rowCounts, RowCounts } from './route-catalog';
import { startTestApp, TestApp } from '../support/test-app';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  /** Sent in one piece (with the Content-Length given in headers, or Node's own). */
  body?: Buffer;
  /** Sent chunked: `count` chunks of `chunk`, without Content-Length. */
  chunked?: { chunk: Buffer; count: number };
}

describe('Oversized requests', () => {
  let t: TestApp;
  let port: number;
  let counts: RowCounts;

  /**
   * One request on its own connection, through Node's HTTP client, which (unlike supertest)
   * reads the response while the body is still going out. Rejects when the connection drops
   * without a response.
   */
  function send(req: RawRequest): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: req.method ?? 'POST',
          path: req.path,
          headers: req.headers,
          agent: false,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
          res.on('error', reject);
        },
      );
      out.on('error', (error) => reject(new Error(`no response: ${error.message}`)));
      if (req.chunked) {
        const { chunk, count } = req.chunked;
        let sent = 0;
        const pump = (): void => {
          while (sent < count) {
            sent++;
            if (!out.write(chunk)) {
              out.once('drain', pump);
              return;
            }
          }
          out.end();
        };
        pump();
      } else {
        out.end(req.body);
      }
    });
  }

  /** Bytes written straight to a socket; resolves with everything read until it closes. */
  function sendRaw(parts: string[], gapMs = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', (error) => reject(new Error(`connection dropped: ${error.message}`)));
      socket.on('close', () => resolve(text));
      void (async () => {
        for (const part of parts) {
          socket.write(part);
          await new Promise((r) => setTimeout(r, gapMs));
        }
      })();
      setTimeout(() => socket.end(), 2000).unref();
    });
  }

  /** SPEC §3 error body, as JSON. */
  function assertJsonError(res: RawResponse, status: number, code: string): void {
    assert.equal(res.status, status, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    assert.equal(body.statusCode, status);
    assert.equal(body.code, code);
    assert.equal(typeof body.error, 'string');
    assert.equal(typeof body.message, 'string');
    assert.ok(String(body.message).length > 10, 'the message says what to do');
  }

  /** The status line and JSON body of a raw HTTP/1.1 response text. */
  function parseRaw(text: string): RawResponse {
    const [head, ...rest] = text.split('\r\n\r\n');
    const [statusLine, ...lines] = head.split('\r\n');
    const headers: IncomingHttpHeaders = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status: Number(statusLine.split(' ')[1]), headers, text: rest.join('\r\n\r\n') };
  }

  before(async () => {
    t = await startTestApp();
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    counts = await rowCounts(t);
  });
  after(async () => {
    // Nothing any of these requests sent may have been stored.
    assert.deepEqual(changedTables(counts.tables, (await rowCounts(t)).tables), []);
    await t.close();
  });

  describe(`request heads over ${MAX_HEADER_BYTES / 1024} KiB, bad paths, malformed requests`, () => {
    it('answers one oversized header with 431 request_header_too_large', async () => {
      const res = await send({
        method: 'GET',
        path: '/api/v1/me',
        headers: { 'X-Filler': 'x'.repeat(MAX_HEADER_BYTES + 1000) },
      });
      assertJsonError(res, 431, 'request_header_too_large');
    });

    it('answers an oversized Authorization header with 431 before reading it', async () => {
      const res = await send({
        method: 'GET',
        path: '/api/v1/me',
        headers: { Authorization: `Bearer ${'t'.repeat(MAX_HEADER_BYTES)}` },
      });
      assertJsonError(res, 431, 'request_header_too_large');
    });

    it('answers many small headers that add up with 431', async () => {
      const headers: Record<string, string> = {};
      for (let i = 0; i < 400; i++) {
        headers[`x-filler-${i}`] = 'y'.repeat(40);
      }
      const res = await send({ method: 'GET', path: '/api/v1/me', headers });
      assertJsonError(res, 431, 'request_header_too_large');
    });

    it('answers an over-long URL (query string) with 431', async () => {
      const res = await send({
        method: 'GET',
        path: `/api/v1/projects?filter=${'q'.repeat(MAX_HEADER_BYTES)}`,
      });
      assertJsonError(res, 431, 'request_header_too_large');
    });

    it('still answers (no reset) when the client sends megabytes of headers', async () => {
      const res = await send({
        method: 'GET',
        path: '/api/v1/me',
        headers: { 'X-Filler': 'z'.repeat(4 * 1024 * 1024) },
      });
      assertJsonError(res, 431, 'request_header_too_large');
    });

    it('answers an oversized POST head with 431, whatever the body', async () => {
      const res = await send({
        path: '/api/v1/workspaces',
        headers: {
          'Content-Type': 'application/json',
          'X-Filler': 'x'.repeat(MAX_HEADER_BYTES + 1),
        },
        body: Buffer.from('{"name":"never created"}'),
      });
      assertJsonError(res, 431, 'request_header_too_large');
    });

    it('accepts a head just under the limit (the limit is the documented one)', async () => {
      const res = await send({
        method: 'GET',
        path: '/api/v1/me',
        headers: { 'X-Filler': 'x'.repeat(MAX_HEADER_BYTES - 1024) },
      });
      assertJsonError(res, 401, 'missing_credentials');
    });

    it('answers 431 on a kept-alive connection after a first good request', async () => {
      const text = await sendRaw(
        [
          'GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n',
          `GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\nX-Filler: ${'k'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`,
        ],
        300,
      );
      const [first, second] = text.split(/(?=HTTP\/1\.1 )/);
      assert.equal(parseRaw(first).status, 200, text);
      assertJsonError(parseRaw(second ?? ''), 431, 'request_header_too_large');
    });

    it('answers a path id over the router limit with 414 uri_too_long', async () => {
      const res = await send({ method: 'GET', path: `/api/v1/projects/${'p'.repeat(201)}` });
      assertJsonError(res, 414, 'uri_too_long');
    });

    it('answers a malformed percent-encoding in the path with 400 malformed_request', async () => {
      const res = await send({ method: 'GET', path: '/api/v1/projects/%zz' });
      assertJsonError(res, 400, 'malformed_request');
    });

    it('answers a request that is not HTTP with 400 malformed_request', async () => {
      const text = await sendRaw(['NOT HTTP AT ALL\r\n\r\n']);
      assertJsonError(parseRaw(text), 400, 'malformed_request');
    });

    it('answers oversized chunk extensions with 413 payload_too_large', async () => {
      const text = await sendRaw([
        'POST /api/v1/workspaces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
          `Transfer-Encoding: chunked\r\n\r\n5;${'e'.repeat(MAX_HEADER_BYTES + 1)}\r\n{"a":\r\n0\r\n\r\n`,
      ]);
      assertJsonError(parseRaw(text), 413, 'payload_too_large');
    });
  });

  describe(`bodies over ${MAX_BODY_BYTES / 1024 / 1024} MiB`, () => {
    /** A JSON document of exactly `bytes` bytes: a long string. */
    const jsonOf = (bytes: number): Buffer =>
      Buffer.from(`{"name":"${'n'.repeat(bytes - '{"name":""}'.length)}"}`);

    for (const [label, auth] of [
      ['without credentials', undefined],
      ['with an admin credential', 'admin'],
    ] as const) {
      it(`answers a JSON body one byte over the limit with 413 payload_too_large, ${label}`, async () => {
        const res = await send({
          path: '/api/v1/workspaces',
          headers: {
            'Content-Type': 'application/json',
            ...(auth ? { Authorization: t.adminBasic } : {}),
          },
          body: jsonOf(MAX_BODY_BYTES + 1),
        });
        assertJsonError(res, 413, 'payload_too_large');
      });
    }

    it('reads a JSON body of exactly the limit (refused by validation, not by size)', async () => {
      const res = await send({
        path: '/api/v1/workspaces',
        headers: { 'Content-Type': 'application/json', Authorization: t.adminBasic },
        body: jsonOf(MAX_BODY_BYTES),
      });
      assertJsonError(res, 400, 'validation_failed');
    });

    it('answers a chunked body over the limit (no Content-Length) with 413', async () => {
      const res = await send({
        path: '/api/v1/workspaces',
        headers: { 'Content-Type': 'application/json', Authorization: t.adminBasic },
        chunked: { chunk: Buffer.alloc(64 * 1024, 'c'), count: 20 },
      });
      assertJsonError(res, 413, 'payload_too_large');
    });

    it('answers 50 MiB announced by Content-Length with 413 without reading it all', async () => {
      const res = await send({
        path: '/api/v1/workspaces',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.alloc(50 * 1024 * 1024, 'b'),
      });
      assertJsonError(res, 413, 'payload_too_large');
    });

    it('answers 50 MiB sent chunked with 413, and the connection is not reset', async () => {
      const res = await send({
        path: '/api/v1/workspaces',
        headers: { 'Content-Type': 'application/json' },
        chunked: { chunk: Buffer.alloc(1024 * 1024, 'c'), count: 50 },
      });
      assertJsonError(res, 413, 'payload_too_large');
    });

    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      it(`answers a ${type} body over the limit with 413`, async () => {
        const res = await send({
          path: '/api/v1/workspaces',
          headers: { 'Content-Type': type, Authorization: t.adminBasic },
          body: Buffer.alloc(MAX_BODY_BYTES + 1, 'a'),
        });
        assertJsonError(res, 413, 'payload_too_large');
      });
    }

    it('answers an unsupported type with 415 before its size matters', async () => {
      const res = await send({
        path: '/api/v1/workspaces',
        headers: { 'Content-Type': 'application/xml', Authorization: t.adminBasic },
        body: Buffer.alloc(MAX_BODY_BYTES + 1, 'a'),
      });
      assertJsonError(res, 415, 'unsupported_media_type');
    });

    it('answers an oversized body on a PATCH route with 413 too', async () => {
      const res = await send({
        method: 'PATCH',
        path: '/api/v1/admin/settings',
        headers: { 'Content-Type': 'application/json', Authorization: t.adminBasic },
        body: jsonOf(MAX_BODY_BYTES + 1),
      });
      assertJsonError(res, 413, 'payload_too_large');
    });

    it('keeps serving after all of the above', async () => {
      const res = await send({ method: 'GET', path: '/health/live' });
      assert.equal(res.status, 200);
    });
  });
});
