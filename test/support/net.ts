import { Agent } from 'node:http';
import { createServer } from 'node:net';

/** A TCP port nobody listens on right now (on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An HTTP agent whose connections come from `ip`, another loopback address (Linux routes all of
 * 127.0.0.0/8 to the loopback interface): the app sees it as the client address, so that suites
 * counting failures per address do not block one another.
 */
export function fromAddress(ip: string): Agent {
  return new Agent({ localAddress: ip });
}
