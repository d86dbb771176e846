import assert from 'node:assert/strict';
import { TestUser } from '../support/factories';
import { BrowserStep, decodeHtml, hiddenFields, OAuthBrowser } from '../support/oauth';
import { TestApp } from '../support/test-app';

// Helpers for the HTTP specs of the web pages: a cookie-jar browser (OAuthBrowser) that reads the
// forms it was served and posts them back with their CSRF token.

export async function signedIn(t: TestApp, user: Pick<TestUser, 'username' | 'password'>) {
  const browser = new OAuthBrowser(t);
  const res = await browser.submitLogin(user);
  assert.equal(res.status, 303, res.text);
  return browser;
}

/** Opens `page` and posts its form to `action` with the form's hidden fields plus `fields`. */
export async function submitForm(
  browser: OAuthBrowser,
  page: string,
  action: string,
  fields: Record<string, string | string[]>,
): Promise<BrowserStep> {
  const opened = await browser.get(page);
  assert.equal(opened.status, 200, `GET ${page}: ${opened.status}\n${opened.text}`);
  const hidden = hiddenFields(opened.text, action);
  assert.ok(hidden._csrf, `the form posting to ${action} carries a CSRF token`);
  return postForm(browser, action, { ...hidden, ...fields });
}

/** Posts a form body as a browser would (repeated names for checkbox groups). */
export async function postForm(
  browser: OAuthBrowser,
  action: string,
  fields: Record<string, string | string[]>,
): Promise<BrowserStep> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const v of [value].flat()) {
      body.append(name, v);
    }
  }
  const res = await browser.agent.post(action).type('form').send(body.toString()).redirects(0);
  const location = res.headers.location;
  return {
    status: res.status,
    location: typeof location === 'string' ? location : undefined,
    text: res.text ?? '',
    headers: res.headers,
  };
}

/** A page's visible text: tags dropped, entities decoded, whitespace collapsed. */
export function textOf(html: string): string {
  const body = html.replace(/<head>[\s\S]*?<\/head>/, '');
  return decodeHtml(body.replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

/** The one-time secret shown on a page (the read-only field of the secret panel). */
export function shownSecret(html: string): string | undefined {
  const match = /<input id="new-secret"[^>]*value="([^"]*)"/.exec(html);
  return match ? decodeHtml(match[1]) : undefined;
}

/** The page's alert (role="alert"), as text. */
export function alertOf(html: string): string {
  const match = /<p class="error[^"]*" role="alert"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  return match ? textOf(match[1]) : '';
}

// The SPEC §3 codes a person must never see on a page.
export const ERROR_CODES =
  /\b(plan_required|token_limit_reached|workspace_read_only|forbidden|validation_failed|not_found|insufficient_scope|workspace_forbidden|conflict|policy_violation)\b/;

export function assertSentence(text: string, expected: RegExp): void {
  assert.match(text, expected);
  assert.doesNotMatch(text, ERROR_CODES, `an error code leaked into the page: ${text}`);
  assert.match(text, /^[A-Z“].*\.$/, `not a sentence: ${text}`);
}
