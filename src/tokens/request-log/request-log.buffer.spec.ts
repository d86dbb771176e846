import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import {
  LoggedRequest,
  RequestLogBuffer,
  RequestLogSink,
  SeenAddress,
  UsageCount,
} from './request-log.buffer';
import { DropOldestQueue } from './drop-oldest-queue';

function entry(n: number, overrides: Partial<LoggedRequest> = {}): LoggedRequest {
  return {
    tokenId: 't1',
    at: Date.UTC(2026, 11, 4, 12) + n,
    method: 'GET',
    path: `/p/${n}`,
    status: 200,
    ip: '127.0.0.1',
    userAgent: null,
    durationMs: 1,
    ...overrides,
  };
}

class FakeSink implements RequestLogSink {
  requests: LoggedRequest[] = [];
  usage: UsageCount[] = [];
  addresses: SeenAddress[] = [];
  statements = 0;
  fail = false;
  /** Resolves the pending insert when called (a slow database). */
  release: (() => void) | null = null;
  slow = false;

  async insertRequests(rows: LoggedRequest[]): Promise<void> {
    this.statements += 1;
    if (this.slow) {
      await new Promise<void>((resolve) => (this.release = resolve));
    }
    if (this.fail) {
      throw new Error('database down');
    }
    this.requests.push(...rows);
  }
  addUsage(rows: UsageCount[]): Promise<void> {
    this.statements += 1;
    if (this.fail) {
      return Promise.reject(new Error('database down'));
    }
    this.usage.push(...rows);
    return Promise.resolve();
  }
  touchAddresses(rows: SeenAddress[]): Promise<void> {
    this.statements += 1;
    if (this.fail) {
      return Promise.reject(new Error('database down'));
    }
    this.addresses.push(...rows);
    return Promise.resolve();
  }
}

function buffer(
  sink: FakeSink,
  capacity: number,
  warnings: string[] = [],
  drops: Array<[string, number]> = [],
): RequestLogBuffer {
  const logger = new Logger('test');
  logger.warn = (message: unknown) => {
    warnings.push(String(message));
  };
  return new RequestLogBuffer({
    capacity,
    flushMs: 60_000,
    flushRows: 1_000_000,
    chunkRows: 4,
    sink,
    isOpen: () => true,
    onDrop: (kind, count) => drops.push([kind, count]),
    logger,
  });
}

describe('DropOldestQueue', () => {
  it('drops the oldest when full and puts taken entries back in front within the capacity', () => {
    const q = new DropOldestQueue<number>(3);
    assert.equal(q.push(1), false);
    q.push(2);
    q.push(3);
    assert.equal(q.push(4), true);
    assert.deepEqual(q.take(10), [2, 3, 4]);
    q.push(5);
    q.push(6);
    // Back in front of 5 and 6, room for one: the oldest two (2, 3) are dropped.
    assert.equal(q.putBack([2, 3, 4]), 2);
    assert.deepEqual(q.take(10), [4, 5, 6]);
    assert.equal(q.size, 0);
  });
});

describe('RequestLogBuffer', () => {
  it('writes one multi-row statement per chunk, never one per request', async () => {
    const sink = new FakeSink();
    const b = buffer(sink, 100);
    for (let i = 0; i < 10; i++) {
      b.record(entry(i, { status: i < 3 ? 403 : 200 }));
    }
    await b.flush();
    assert.equal(sink.requests.length, 10);
    // 10 rows in chunks of 4: 3 inserts, 1 usage upsert, 1 address upsert.
    assert.equal(sink.statements, 5);
    assert.deepEqual(sink.usage, [{ tokenId: 't1', day: '2026-12-04', requests: 10, errors: 3 }]);
    assert.equal(sink.addresses.length, 1);
    await b.flush();
    assert.equal(sink.statements, 5, 'nothing pending: no statement');
  });

  it('with a slow database, memory stays bounded: the oldest entries are dropped and counted', async () => {
    const sink = new FakeSink();
    const warnings: string[] = [];
    const drops: Array<[string, number]> = [];
    const b = buffer(sink, 5, warnings, drops);
    sink.slow = true;
    for (let i = 0; i < 5; i++) {
      b.record(entry(i));
    }
    const flushing = b.flush(); // takes the first chunk (4) and waits on the database
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 5; i < 20; i++) {
      b.record(entry(i));
    }
    assert.ok(b.pending <= 5, `bounded: ${b.pending}`);
    assert.equal(b.dropped, 11); // 16 queued behind the flush into 5 places (1 was left)
    // ...and each drop is told to the metrics (tessera_accounting_dropped_total{kind}).
    assert.deepEqual(
      drops.reduce((n, [kind, count]) => n + (kind === 'request_log' ? count : 0), 0),
      11,
    );
    assert.equal(warnings.length, 1, 'warned once, not per drop');
    sink.slow = false;
    sink.release?.();
    await flushing;
    await b.flush();
    const paths = sink.requests.map((r) => r.path);
    assert.deepEqual(paths.slice(0, 4), ['/p/0', '/p/1', '/p/2', '/p/3']);
    assert.deepEqual(paths.slice(4), ['/p/15', '/p/16', '/p/17', '/p/18', '/p/19']);
    // The daily count stays exact although log entries were dropped.
    const total = sink.usage.reduce((n, u) => n + u.requests, 0);
    assert.equal(total, 20);
  });

  it('a failed flush keeps its rows for the next one, within the bound', async () => {
    const sink = new FakeSink();
    const b = buffer(sink, 6);
    for (let i = 0; i < 4; i++) {
      b.record(entry(i, { ip: `127.0.0.${i + 2}` }));
    }
    sink.fail = true;
    await b.flush();
    assert.equal(sink.requests.length, 0);
    assert.equal(b.pending, 4);
    for (let i = 4; i < 8; i++) {
      b.record(entry(i));
    }
    assert.equal(b.pending, 6);
    assert.equal(b.dropped, 2);
    sink.fail = false;
    await b.flush();
    assert.deepEqual(
      sink.requests.map((r) => r.path),
      ['/p/2', '/p/3', '/p/4', '/p/5', '/p/6', '/p/7'],
    );
    // Usage folded back after the failure: nothing lost, nothing doubled.
    assert.equal(
      sink.usage.reduce((n, u) => n + u.requests, 0),
      8,
    );
    // The addresses of the failed round were kept too (five newest at most).
    assert.deepEqual(sink.addresses.map((a) => a.ip).sort(), [
      '127.0.0.1',
      '127.0.0.2',
      '127.0.0.3',
      '127.0.0.4',
      '127.0.0.5',
    ]);
  });

  it('keeps all addresses seen between two writes, the newest five per token', async () => {
    const sink = new FakeSink();
    const b = buffer(sink, 100);
    for (let i = 2; i <= 8; i++) {
      b.record(entry(i, { ip: `127.0.0.${i}` }));
    }
    b.record(entry(100, { ip: '127.0.0.3' })); // seen again: newest now
    await b.flush();
    assert.deepEqual(sink.addresses.map((a) => a.ip).sort(), [
      '127.0.0.3',
      '127.0.0.5',
      '127.0.0.6',
      '127.0.0.7',
      '127.0.0.8',
    ]);
  });

  it('counts errors (status ≥ 400) per token and UTC day', async () => {
    const sink = new FakeSink();
    const b = buffer(sink, 100);
    const midnight = Date.UTC(2026, 11, 5);
    b.record(entry(0, { at: midnight - 1, status: 500 }));
    b.record(entry(0, { at: midnight, status: 399 }));
    b.record(entry(0, { at: midnight + 5, status: 400, tokenId: 't2' }));
    await b.flush();
    assert.deepEqual(sink.usage, [
      { tokenId: 't1', day: '2026-12-04', requests: 1, errors: 1 },
      { tokenId: 't1', day: '2026-12-05', requests: 1, errors: 0 },
      { tokenId: 't2', day: '2026-12-05', requests: 1, errors: 1 },
    ]);
  });
});
