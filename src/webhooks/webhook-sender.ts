import http from 'node:http';
import https from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { hostOf, TargetAddress } from './webhook-address';
import { basicAuthOf } from './webhook-url';

export interface AttemptResult {
  /** The response's status, or null when none came (connection error, timeout). */
  statusCode: number | null;
  error: string | null;
}

/** A DNS lookup that answers the address already checked: no second resolution to rebind. */
function pinnedLookup(target: TargetAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      callback(null, [{ address: target.address, family: target.family }]);
    } else {
      callback(null, target.address, target.family);
    }
  };
}

/**
 * One POST to `url`, connecting to `target` (TLS still verifies the URL's host name), with the
 * URL's user-info as Basic credentials. Settles
 * with the status as soon as the response head arrives (the body is not read), or with the
 * error; never rejects. Redirects are not followed: a 3xx is a failed attempt.
 */
export function postOnce(
  url: URL,
  target: TargetAddress,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<AttemptResult> {
  const host = hostOf(url);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(result);
      }
    };
    const req = client.request(
      {
        protocol: url.protocol,
        hostname: host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        // User-info in the URL (https://user:password@host/…) is the receiver's Basic credentials.
        auth: basicAuthOf(url),
        lookup: pinnedLookup(target),
        servername: isIP(host) ? undefined : host,
        agent: false,
      },
      (res) => {
        finish({ statusCode: res.statusCode ?? null, error: null });
        res.destroy();
      },
    );
    const timer = setTimeout(() => {
      finish({ statusCode: null, error: `no response within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({
        statusCode: null,
        error: error.code ? `${error.code}: ${error.message}` : error.message,
      }),
    );
    req.end(body);
  });
}
