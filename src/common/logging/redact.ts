// Credentials never reach a log line (SPEC §3): these headers and the `key` query parameter.
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
]);

/** The URL with secret query values replaced by [REDACTED]. */
export function redactUrl(url: string): string {
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
