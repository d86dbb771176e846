import { Scope } from '../auth/auth-types';
import { randomBase62 } from '../tokens/token-format';

export const ACCESS_TOKEN_LIFETIME_S = 7200;
export const REFRESH_TOKEN_LIFETIME_S = 30 * 86400;
export const AUTHORIZATION_CODE_LIFETIME_S = 60;

/** Opaque OAuth secrets, each with its own prefix so that scanners and logs can tell them apart. */
export const OAuthSecrets = {
  accessToken: (): string => `tso_${randomBase62(40)}`,
  refreshToken: (): string => `tsr_${randomBase62(40)}`,
  authorizationCode: (): string => randomBase62(40),
  clientId: (): string => `tsc_${randomBase62(24)}`,
  clientSecret: (): string => `tss_${randomBase62(40)}`,
};

export function isOAuthAccessToken(value: string): boolean {
  return /^tso_[0-9A-Za-z]{40}$/.test(value);
}

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  read: 'See your workspaces, projects, issues and tokens',
  write: 'Create and change projects, issues and tokens',
  delete: 'Delete issues and projects and revoke tokens',
  admin: 'Everything your account can do, including instance administration',
};

export function parseScopes(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.filter((s): s is string => typeof s === 'string');
  }
  return typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : [];
}

/**
 * A native app's loopback IP redirect, split around the port; null for anything else. The name
 * `localhost` is not one: it may resolve elsewhere, so it is matched exactly (RFC 8252 §8.3).
 */
const LOOPBACK_REDIRECT = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::\d{1,5})?(\/[^#]*)?$/;

/**
 * Whether a redirect_uri in a request matches one registered for the application: the exact
 * string (RFC 9700 §4.1.3: no prefixes, no wildcards), except that a native app's loopback IP
 * redirect (http on 127.0.0.1 or [::1]) may use any port, which the operating system picks
 * when the app starts listening (RFC 8252 §7.3). Host, path and query must still be written
 * exactly as registered.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) {
    return true;
  }
  const asked = LOOPBACK_REDIRECT.exec(requested);
  if (!asked) {
    return false;
  }
  return registered.some((uri) => {
    const known = LOOPBACK_REDIRECT.exec(uri);
    return known !== null && known[1] === asked[1] && (known[2] || '/') === (asked[2] || '/');
  });
}

/** The error codes of the OAuth endpoints' answers (RFC 6749 §5.2, RFC 7662, RFC 7009). */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_token',
  'server_error',
] as const;
