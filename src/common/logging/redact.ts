// Credentials never reach a log line (SPEC §3): these headers, the `key` query parameter and the
// names other APIs use for secrets, and anything shaped like one of our secrets wherever it
// stands in the URL (a token pasted into the wrong parameter, or into the path).
export const SECRET_HEADERS = [
  'authorization',
  'x-api-key',
  'x-redmine-api-key',
  'x-auth-token',
  'cookie',
  'proxy-authorization',
];

const SECRET_QUERY_KEYS = new Set([
  'key',
  'access_token',
  'client_secret',
  'code',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'private_token',
  'token',
  'password',
  'secret',
]);

/**
 * An API token of any prefix TOKEN_PREFIX may take (body of 32), an OAuth token (`tso_`, `tsr_`…:
 * 40) or a webhook secret (`whsec_`): a prefix of up to 7 letters or digits, `_`, then at least
 * 30 base62 characters. Percent-encoding cannot split one: the characters are all unreserved.
 */
const SECRET_SHAPE = /(?<![0-9A-Za-z])[a-z0-9]{1,7}_[0-9A-Za-z]{30,}/g;

/** The URL with secret query values replaced by [REDACTED]. */
export function redactUrl(target: string): string {
  const url = target.replace(SECRET_SHAPE, '[REDACTED]');
  const q = url.indexOf('?');
  if (q === -1) {
    return url;
  }
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = decodeSafe(eq === -1 ? pair : pair.slice(0, eq)).toLowerCase();
      return SECRET_QUERY_KEYS.has(name)
        ? `${pair.slice(0, eq === -1 ? pair.length : eq)}=[REDACTED]`
        : pair;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

function decodeSafe(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
