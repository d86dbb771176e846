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
