import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { sleep } from './net';

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: Record<string, unknown>;
  at: number;
}

/** A real HTTP receiver on 127.0.0.1 that records what it gets and answers as told. */
export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedDelivery[];
  /** Statuses for the next requests, in order; then `defaultStatus`. */
  respondWith(...statuses: number[]): void;
  defaultStatus: number;
  /** Delay before answering (to catch a delivery in flight). */
  delayMs: number;
  /** Waits until `count` requests matched `filter` (default all), or fails after `ms`. */
  waitFor(
    count: number,
    ms?: number,
    filter?: (d: ReceivedDelivery) => boolean,
  ): Promise<ReceivedDelivery[]>;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hook'): Promise<WebhookReceiver> {
  const queue: number[] = [];
  const received: ReceivedDelivery[] = [];
  const state = { defaultStatus: 200, delayMs: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(rawBody) as Record<string, unknown>;
      } catch {
        // recorded as received; the test decides
      }
      received.push({ headers: req.headers, rawBody, body, at: Date.now() });
      const status = queue.shift() ?? state.defaultStatus;
      setTimeout(() => {
        res.statusCode = status;
        res.end('ok');
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    respondWith: (...statuses) => queue.push(...statuses),
    get defaultStatus() {
      return state.defaultStatus;
    },
    set defaultStatus(v: number) {
      state.defaultStatus = v;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v: number) {
      state.delayMs = v;
    },
    async waitFor(count, ms = 15_000, filter = () => true) {
      const deadline = Date.now() + ms;
      for (;;) {
        const matching = received.filter(filter);
        if (matching.length >= count) {
          return matching;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `expected ${count} deliveries within ${ms} ms, got ${matching.length} (${received.length} in all)`,
          );
        }
        await sleep(25);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
