/**
 * A webhook URL as shown (SPEC §1: passwords never appear in responses, audit events or logs):
 * user-info's password replaced by `***`, the user name kept (`http://user:***@host/x`). A URL
 * without a password is returned exactly as given.
 */
export function redactWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.password === '') {
    return raw;
  }
  url.password = '***';
  return url.toString();
}

/** How a password is shown; sent back in a PATCH, it stands for the stored one. */
export const MASKED_PASSWORD = '***';

/** A webhook URL as stored: `url` without its password, and the password apart. */
export interface SplitWebhookUrl {
  url: string;
  /** As written in the URL (percent-encoded), or null without one. */
  password: string | null;
}

/**
 * Splits the password off a URL's user-info for storage (the password is sealed in its own
 * column; the user name stays, as it is shown anyway): `http://user:pw@host/x` →
 * `http://user@host/x` and `pw`. A URL without a password is kept exactly as given.
 */
export function splitWebhookUrl(raw: string): SplitWebhookUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { url: raw, password: null };
  }
  if (url.password === '') {
    return { url: raw, password: null };
  }
  const password = url.password;
  url.password = '';
  return { url: url.toString(), password };
}

/**
 * A stored webhook URL as shown: with `***` for the password sealed apart when there is one.
 * A URL still holding its password (a row not yet upgraded) is redacted the same way.
 */
export function shownWebhookUrl(url: string, hasSealedPassword: boolean): string {
  if (!hasSealedPassword) {
    return redactWebhookUrl(url);
  }
  try {
    return withPassword(url, MASKED_PASSWORD).toString();
  } catch {
    return url;
  }
}

/** The URL with `password` (as written in a URL, percent-encoded) put back in its user-info. */
export function withPassword(url: string, password: string): URL {
  const target = new URL(url);
  target.password = password;
  return target;
}

/**
 * The Basic credentials of a URL's user-info (`http://user:pw@host/` → `user:pw`, decoded), for
 * Node's `auth` request option; undefined without user-info.
 */
export function basicAuthOf(url: URL): string | undefined {
  if (url.username === '' && url.password === '') {
    return undefined;
  }
  return `${decoded(url.username)}:${decoded(url.password)}`;
}

/** Percent-decoded; a malformed escape (`%zz`, not UTF-8) is kept as written. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
