/** What a failed-login event records instead of a login that looks like a secret. */
export const REDACTED_LOGIN = '[REDACTED]';
/** What a failed-login event records instead of a login that names no user. */
export const UNKNOWN_LOGIN = '[UNKNOWN]';

// The prefixes of Tessera's OAuth secrets (src/oauth/oauth-constants.ts): access tokens, refresh
// tokens and client secrets. Client ids (tsc_) are not secret, but are not logins either.
const OAUTH_PREFIXES = ['tso_', 'tsr_', 'tss_', 'tsc_'];

/**
 * True for a string shaped like one of our secrets, whole or mistyped: an API token (the
 * configured prefix), an OAuth access or refresh token or client secret, or a long run of base62
 * characters (authorization codes and any other random secret).
 */
export function looksLikeSecret(value: string, tokenPrefix: string): boolean {
  const prefixed = [tokenPrefix, ...OAUTH_PREFIXES].find((prefix) => value.startsWith(prefix));
  if (prefixed !== undefined && /^[0-9A-Za-z]{16,}/.test(value.slice(prefixed.length))) {
    return true;
  }
  return /^[0-9A-Za-z]{32,}$/.test(value);
}

/**
 * The login a failed sign-in is audited with — the one function every place that audits a login
 * uses. Only an existing user's login is ever stored (as that user's username, however it was
 * typed); anything else may be a secret sent in the wrong field (a token as the Basic user name,
 * a password typed into the login field) and is never stored.
 */
export function auditedLogin(
  typed: string,
  user: { username: string } | null,
  tokenPrefix: string,
): string {
  if (
    looksLikeSecret(typed, tokenPrefix) ||
    (user && looksLikeSecret(user.username, tokenPrefix))
  ) {
    return REDACTED_LOGIN;
  }
  return user ? user.username : UNKNOWN_LOGIN;
}
