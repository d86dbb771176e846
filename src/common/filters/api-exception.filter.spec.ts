import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { databaseDownCode, renderError } from './api-exception.filter';

/** An error shaped like mysql2's: Node socket errors get `fatal` once they broke a connection. */
function driverError(code: string, fatal?: boolean): Error {
  return Object.assign(new Error(code), { code, ...(fatal === undefined ? {} : { fatal }) });
}

describe('databaseDownCode', () => {
  it('recognises a refused or lost connection from mysql2 (fatal)', () => {
    assert.equal(databaseDownCode(driverError('ECONNREFUSED', true)), 'ECONNREFUSED');
    assert.equal(databaseDownCode(driverError('ETIMEDOUT', true)), 'ETIMEDOUT');
    assert.equal(
      databaseDownCode(driverError('PROTOCOL_CONNECTION_LOST', true)),
      'PROTOCOL_CONNECTION_LOST',
    );
  });

  it('looks inside QueryFailedError', () => {
    const lost = new QueryFailedError('SELECT 1', [], driverError('PROTOCOL_CONNECTION_LOST'));
    assert.equal(databaseDownCode(lost), 'PROTOCOL_CONNECTION_LOST');
    const reset = new QueryFailedError('SELECT 1', [], driverError('ECONNRESET'));
    assert.equal(databaseDownCode(reset), 'ECONNRESET');
    const shutdown = new QueryFailedError('SELECT 1', [], driverError('ER_SERVER_SHUTDOWN'));
    assert.equal(databaseDownCode(shutdown), 'ER_SERVER_SHUTDOWN');
  });

  it('recognises a server that refuses more connections, and SQLite locked past its timeout', () => {
    assert.equal(databaseDownCode(driverError('ER_CON_COUNT_ERROR', true)), 'ER_CON_COUNT_ERROR');
    const busy = new QueryFailedError('UPDATE x', [], driverError('SQLITE_BUSY'));
    assert.equal(databaseDownCode(busy), 'SQLITE_BUSY');
  });

  it('leaves bad queries and errors from elsewhere alone', () => {
    const duplicate = new QueryFailedError('INSERT', [], driverError('ER_DUP_ENTRY'));
    assert.equal(databaseDownCode(duplicate), null);
    const syntax = new QueryFailedError('SELEC', [], driverError('ER_PARSE_ERROR'));
    assert.equal(databaseDownCode(syntax), null);
    // A socket error that is not the database driver's (Redis, an outbound call) is no outage.
    assert.equal(databaseDownCode(driverError('ECONNREFUSED')), null);
    assert.equal(databaseDownCode(new Error('boom')), null);
    assert.equal(databaseDownCode(null), null);
  });
});

describe('renderError', () => {
  const quiet = new Logger('test');
  quiet.warn = () => undefined;
  quiet.error = () => undefined;

  it('renders a lost database as 503 database_unavailable with Retry-After', () => {
    const lost = new QueryFailedError(
      'SELECT 1',
      [],
      driverError('PROTOCOL_CONNECTION_LOST', true),
    );
    const { status, body, headers } = renderError(lost, 'req-1', quiet);
    assert.equal(status, 503);
    assert.deepEqual(
      {
        statusCode: body.statusCode,
        error: body.error,
        code: body.code,
        request_id: body.request_id,
      },
      {
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'database_unavailable',
        request_id: 'req-1',
      },
    );
    assert.match(body.message, /retry/);
    assert.equal(headers['Retry-After'], '5');
  });

  it('still renders an unknown error as 500 internal_error', () => {
    const { status, body } = renderError(new Error('boom'), 'req-2', quiet);
    assert.equal(status, 500);
    assert.equal(body.code, 'internal_error');
  });
});
