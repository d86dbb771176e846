import fastifyCsrf from '@fastify/csrf-protection';
import secureSession from '@fastify/secure-session';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyReply, FastifyRequest } from 'fastify';
import helmet, { HelmetOptions } from 'helmet';
import { IncomingMessage, ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config';
import { SESSION_HOURS } from '../sessions/sessions.service';
import { SessionKeyService } from './session-key.service';
import { Views } from './views';
import { needsCsrf, webRouteOf } from './web-route';

declare module '@fastify/secure-session' {
  interface SessionData {
    /** The random secret of the server-side session (web_sessions keeps its SHA-256). */
    sid: string;
  }
}

export const SESSION_COOKIE = 'tessera_session';

/** Page requests whose CSRF check has not passed (yet). */
const csrfPending = new WeakSet<FastifyRequest>();

/**
 * Browser plumbing for the web pages (login, OAuth consent): an encrypted cookie (HttpOnly,
 * SameSite=Lax, Secure and __Host- behind https) that carries the random secret of the
 * server-side session (src/sessions), the CSRF secret and the flash notice; CSRF tokens on every
 * form; security headers. The JSON API under /api/v1 never reads the session.
 */
export async function registerWebSession(
  app: NestFastifyApplication,
  config: AppConfig,
): Promise<void> {
  const key = await app.get(SessionKeyService).key();
  // Security headers on every response: helmet decides them once, at start (they depend on the
  // configuration only), and every reply copies the result. @fastify/helmet would build and run
  // helmet's dozen middlewares per request, a measurable share of a cached API request's CPU.
  const https = config.publicUrl.startsWith('https://');
  const pageHeaders = helmetHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Swagger UI styles some elements inline.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        // form-action is left open: the consent form redirects to the client's redirect_uri.
        formAction: null,
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    hsts: https,
  });
  // Answers that are no HTML documents (the JSON API, health, the OpenAPI document, OAuth's JSON
  // endpoints, redirects) get the headers OWASP's REST Security Cheat Sheet asks of an API: a
  // CSP that allows nothing and no framing, nosniff, X-Frame-Options DENY, HSTS behind https
  // (Cache-Control: no-store on /api comes from response-headers.ts). The document policies
  // (opener, referrer, prefetch, download, XSS filter…) are read by browsers on documents only:
  // pages keep them. Eleven headers become three, about 500 bytes less for both ends to write
  // and parse on every API answer. Decided when the answer's type is known.
  const restHeaders = helmetHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    xFrameOptions: { action: 'deny' },
    hsts: https,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    referrerPolicy: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  await app.register(secureSession, {
    key,
    // Under https the __Host- prefix pins the cookie to this exact host, Secure and path /.
    cookieName: https ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE,
    expiry: SESSION_HOURS * 3600,
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: https,
      maxAge: SESSION_HOURS * 3600,
    },
  });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/secure-session' });

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook(
    'preHandler',
    (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      // Decided on the route the router matched (its @Page() or @FormRoute() config), so that a
      // percent-encoded or absolute-form request target cannot slip past the check.
      if (needsCsrf(request)) {
        if (!webRouteOf(request).page) {
          fastify.csrfProtection(request, reply, done);
          return;
        }
        // The plugin answers a failed check itself (JSON); onSend below turns that into a page.
        csrfPending.add(request);
        fastify.csrfProtection(request, reply, () => {
          csrfPending.delete(request);
          done();
        });
        return;
      }
      done();
    },
  );
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (csrfPending.has(request) && reply.statusCode === 403) {
      csrfPending.delete(request);
      void reply
        .header('Content-Type', 'text/html; charset=utf-8')
        .header('Cache-Control', 'no-store');
      done(null, csrfFailurePage());
      return;
    }
    done(null, payload);
  });
  // After the hook above, which may turn an answer into a page.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    const page = typeof type === 'string' && type.startsWith('text/html');
    void reply.headers(page ? pageHeaders : restHeaders);
    done(null, payload);
  });
}

function csrfFailurePage(): string {
  return Views.message(
    { title: 'Form expired' },
    {
      heading: 'This form has expired',
      message:
        'The form’s security token is missing or out of date, so nothing was changed. ' +
        'Go back, reload the page and submit it again.',
      link: '/account/tokens',
      linkText: 'Back to your API tokens',
    },
  );
}

/** The headers helmet sets for `options`, recorded once from a stand-in response. */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
      return response;
    },
    removeHeader(name: string) {
      delete headers[name];
    },
  };
  let failure: unknown;
  helmet(options)(
    {} as IncomingMessage,
    response as unknown as ServerResponse,
    (error?: unknown) => {
      failure = error;
    },
  );
  if (failure) {
    throw failure instanceof Error ? failure : new Error('helmet refused its options');
  }
  return headers;
}
