import { totpCode } from './factories';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { generate } from 'otplib';
import { Scope } from '../../src/auth/auth-types';
import { TestUser } from './factories';
import { startTestApp, TestApp, TestAppOptions } from './test-app';
import { freePort } from './net';

// Helpers for the OAuth2 specs (SPEC §9, §10): an app whose PUBLIC_URL is its real address (so
// oauth4webapi accepts the metadata's issuer), registered clients, and a browser that signs in
// and answers the consent page through the real HTML forms.

export const REDIRECT_URI = 'https://client.example.test/callback';
/** Lets oauth4webapi talk plain http to the local test server. */
export const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

export interface OAuthTestApp extends TestApp {
  issuer: URL;
}

export interface RegisteredClient {
  id: string;
  clientId: string;
  /** Confidential clients only. */
  clientSecret?: string;
  redirectUris: string[];
  scopes: Scope[];
  confidential: boolean;
  /** The oauth4webapi view of this client. */
  client: oauth.Client;
  /** client_secret_basic for confidential clients, none for public ones (unless chosen). */
  auth: oauth.ClientAuth;
}

/** Starts the app on a known free port with PUBLIC_URL set to exactly that address. */
export async function startOAuthTestApp(options: TestAppOptions = {}): Promise<OAuthTestApp> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    try {
      const t = await startTestApp({
        ...options,
        port,
        env: { ...options.env, PUBLIC_URL: base },
      });
      return Object.assign(t, { issuer: new URL(base) });
    } catch (error) {
      // Another process may take the port between our probe and the listen.
      if (attempt >= 3 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        throw error;
      }
    }
  }
}

/** RFC 8414 discovery through oauth4webapi, which also checks that issuer matches. */
export async function discover(t: OAuthTestApp): Promise<oauth.AuthorizationServer> {
  const response = await oauth.discoveryRequest(t.issuer, { algorithm: 'oauth2', ...INSECURE });
  return oauth.processDiscoveryResponse(t.issuer, response);
}

export async function registerClient(
  t: TestApp,
  options: {
    scopes?: Scope[];
    confidential?: boolean;
    redirectUris?: string[];
    name?: string;
  } = {},
): Promise<RegisteredClient> {
  const confidential = options.confidential ?? true;
  const res = await t
    .http()
    .post('/api/v1/admin/oauth/applications')
    .set('Authorization', t.adminBasic)
    .send({
      name: options.name ?? 'Test client',
      redirect_uris: options.redirectUris ?? [REDIRECT_URI],
      scopes: options.scopes ?? ['read', 'write'],
      confidential,
    });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const clientSecret = res.body.client_secret as string | undefined;
  return {
    id: res.body.id as string,
    clientId: res.body.client_id as string,
    clientSecret,
    redirectUris: res.body.redirect_uris as string[],
    scopes: res.body.scopes as Scope[],
    confidential,
    client: {
      client_id: res.body.client_id as string,
      token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
    },
    auth: confidential ? oauth.ClientSecretBasic(clientSecret as string) : oauth.None(),
  };
}

export interface AuthorizationRequest {
  url: URL;
  state: string;
  codeVerifier: string;
  redirectUri: string;
}

/** An authorization URL with a fresh state and PKCE S256 pair. */
export async function authorizationRequest(
  as: oauth.AuthorizationServer,
  client: RegisteredClient,
  options: { scope?: string; redirectUri?: string; extra?: Record<string, string> } = {},
): Promise<AuthorizationRequest> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const redirectUri = options.redirectUri ?? client.redirectUris[0];
  const url = new URL(as.authorization_endpoint as string);
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  if (options.scope !== undefined) {
    url.searchParams.set('scope', options.scope);
  }
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  for (const [key, value] of Object.entries(options.extra ?? {})) {
    url.searchParams.set(key, value);
  }
  return { url, state, codeVerifier, redirectUri };
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

/** Undoes Handlebars' attribute escaping. */
export function decodeHtml(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) {
      return String.fromCodePoint(parseInt(entity.slice(2), 16));
    }
    if (entity.startsWith('#')) {
      return String.fromCodePoint(parseInt(entity.slice(1), 10));
    }
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

/** The hidden inputs of the form posting to `action`, by name. */
export function hiddenFields(html: string, action: string): Record<string, string> {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  const form = forms.find((f) => decodeHtml(/action="([^"]*)"/.exec(f[1])?.[1] ?? '') === action);
  assert.ok(form, `no form posting to ${action} in:\n${html}`);
  const fields: Record<string, string> = {};
  for (const input of form[2].matchAll(/<input\b([^>]*)>/g)) {
    const attrs = input[1];
    if (!/type="hidden"/.test(attrs)) {
      continue;
    }
    const name = /name="([^"]*)"/.exec(attrs)?.[1];
    const value = /value="([^"]*)"/.exec(attrs)?.[1] ?? '';
    if (name) {
      fields[decodeHtml(name)] = decodeHtml(value);
    }
  }
  return fields;
}

export interface BrowserStep {
  status: number;
  location?: string;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

function step(res: {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}): BrowserStep {
  const location = res.headers.location;
  return {
    status: res.status,
    location: typeof location === 'string' ? location : undefined,
    text: res.text ?? '',
    headers: res.headers,
  };
}

/** Path and query of an absolute or relative URL, for supertest. */
function pathOf(url: URL | string): string {
  const parsed = new URL(url.toString(), 'http://placeholder');
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * A browser with a cookie jar (a supertest agent) that walks the login and consent pages like a
 * person would: it reads the CSRF token and hidden fields out of the HTML it was served.
 */
export class OAuthBrowser {
  readonly agent: ReturnType<TestApp['http']>;

  constructor(readonly t: TestApp) {
    this.agent = t.http();
  }

  async get(url: URL | string): Promise<BrowserStep> {
    return step(await this.agent.get(pathOf(url)).redirects(0));
  }

  async postForm(path: string, form: Record<string, string>): Promise<BrowserStep> {
    return step(await this.agent.post(path).type('form').send(form).redirects(0));
  }

  /** GET /login, then POST it with the form's CSRF token. Returns the POST's outcome. */
  async submitLogin(
    user: { username: string; password: string },
    options: { code?: string; returnTo?: string } = {},
  ): Promise<BrowserStep> {
    const query = options.returnTo ? `?return_to=${encodeURIComponent(options.returnTo)}` : '';
    const page = await this.get(`/login${query}`);
    assert.equal(page.status, 200, page.text);
    const fields = hiddenFields(page.text, '/login');
    assert.ok(fields._csrf, 'the login form carries a CSRF token');
    return this.postForm('/login', {
      ...fields,
      login: user.username,
      password: user.password,
      code: options.code ?? '',
    });
  }

  async signIn(user: TestUser, code?: string): Promise<void> {
    const res = await this.submitLogin(user, { code });
    assert.equal(res.status, 303, res.text);
  }

  /**
   * Opens an authorization URL; signs in first if the server asks (and `user` is given). Returns
   * the consent page (200), the error page (400) or a redirect (303).
   */
  async open(url: URL | string, user?: TestUser, code?: string): Promise<BrowserStep> {
    let res = await this.get(url);
    if (res.status === 303 && res.location?.startsWith('/login') && user) {
      const returnTo = new URL(res.location, 'http://placeholder').searchParams.get('return_to');
      assert.equal(returnTo, pathOf(url), 'login returns to the authorization request');
      const login = await this.submitLogin(user, { code, returnTo: returnTo ?? undefined });
      assert.equal(login.status, 303, login.text);
      assert.equal(login.location, returnTo);
      res = await this.get(login.location);
    }
    return res;
  }

  /** Answers a consent page with the form's own hidden fields. */
  async decide(consent: BrowserStep, decision: 'approve' | 'deny'): Promise<BrowserStep> {
    assert.equal(consent.status, 200, `expected the consent page, got ${consent.status}`);
    const fields = hiddenFields(consent.text, '/oauth/authorize');
    return this.postForm('/oauth/authorize', { ...fields, decision });
  }

  /** Opens the URL, signs in if needed, answers the consent page; returns the redirect. */
  async authorize(
    url: URL | string,
    user: TestUser,
    decision: 'approve' | 'deny' = 'approve',
  ): Promise<URL> {
    const consent = await this.open(url, user);
    const res = await this.decide(consent, decision);
    assert.equal(res.status, 303, res.text);
    return new URL(res.location as string);
  }
}

export interface GrantedTokens {
  request: AuthorizationRequest;
  tokens: oauth.TokenEndpointResponse;
}

/** The whole authorization code + PKCE flow, through oauth4webapi and the real pages. */
export async function obtainTokens(
  t: OAuthTestApp,
  as: oauth.AuthorizationServer,
  client: RegisteredClient,
  user: TestUser,
  options: { scope?: string; browser?: OAuthBrowser } = {},
): Promise<GrantedTokens> {
  const request = await authorizationRequest(as, client, { scope: options.scope });
  const browser = options.browser ?? new OAuthBrowser(t);
  const callback = await browser.authorize(request.url, user);
  const params = oauth.validateAuthResponse(as, client.client, callback, request.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client.client,
    client.auth,
    params,
    request.redirectUri,
    request.codeVerifier,
    INSECURE,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client.client, response);
  return { request, tokens };
}

/** Runs the authorization step only and returns the callback parameters (code and state). */
export async function obtainCode(
  t: OAuthTestApp,
  as: oauth.AuthorizationServer,
  client: RegisteredClient,
  user: TestUser,
  options: { scope?: string; browser?: OAuthBrowser } = {},
): Promise<{ request: AuthorizationRequest; params: URLSearchParams }> {
  const request = await authorizationRequest(as, client, { scope: options.scope });
  const browser = options.browser ?? new OAuthBrowser(t);
  const callback = await browser.authorize(request.url, user);
  return {
    request,
    params: oauth.validateAuthResponse(as, client.client, callback, request.state),
  };
}

/**
 * Awaits an oauth4webapi process*Response call that must fail with an OAuth error body, and
 * returns the HTTP status and the body's `error` (also for 401s that carry a WWW-Authenticate
 * challenge, where oauth4webapi leaves the body unread).
 */
export async function oauthFailure(
  pending: Promise<unknown>,
): Promise<{ status: number; error: string; description?: string }> {
  try {
    await pending;
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      return { status: error.status, error: error.error, description: error.error_description };
    }
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      const body = (await error.response.json()) as { error: string; error_description?: string };
      return { status: error.status, error: body.error, description: body.error_description };
    }
    throw error;
  }
  assert.fail('expected an OAuth error response');
}

/** Turns TOTP on for `user` through the API; returns the secret. */
export async function enableTwoFactor(t: TestApp, user: TestUser): Promise<string> {
  return (await enrolTwoFactor(t, user)).secret;
}

/** Turns TOTP on for `user` through the API; the secret and the recovery codes shown once. */
export async function enrolTwoFactor(
  t: TestApp,
  user: TestUser,
): Promise<{ secret: string; codes: string[] }> {
  const start = await t.http().post('/api/v1/me/two-factor').set('Authorization', user.basic);
  assert.equal(start.status, 201, JSON.stringify(start.body));
  const secret = start.body.secret as string;
  const confirm = await t
    .http()
    .post('/api/v1/me/two-factor/confirm')
    .set('Authorization', user.basic)
    .send({ code: await totpCode(secret) });
  assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
  return { secret, codes: confirm.body.recovery_codes as string[] };
}

/** A 6-digit code that is valid for none of the time steps the server accepts around now. */
export async function wrongTotpCode(secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const valid = new Set<string>();
  for (let s = -3; s <= 3; s++) {
    valid.add(await generate({ secret, epoch: now + s * 30 }));
  }
  let code = 0;
  while (valid.has(String(code).padStart(6, '0'))) {
    code += 1;
  }
  return String(code).padStart(6, '0');
}

/** The session cookie's Set-Cookie line, if the response set it. */
export function sessionCookie(headers: Record<string, string | string[] | undefined>): string {
  const raw = headers['set-cookie'];
  const lines = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return lines.find((l) => l.startsWith('tessera_session=')) ?? '';
}
