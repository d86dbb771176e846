import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module';
import { apiValidationPipe } from './common/http/validation';
import {
  clientErrorHandler,
  frameworkErrorHandler,
  MAX_BODY_BYTES,
  MAX_HEADER_BYTES,
} from './common/http/client-errors';
import { registerCors } from './common/http/cors';
import { parseJsonBody, requireJsonBodies } from './common/http/json-bodies';
import { redactUrl, SECRET_HEADERS } from './common/logging/redact';
import { plainAddress, registerClientAddress } from './common/http/client-address';
import { AppConfig } from './config/app-config';
import { registerResponseHeaders } from './auth/response-headers';
import { Authenticator } from './auth/authenticator.service';
import { AuthFailures } from './auth/auth-failures';
import { registerEarlyRefusal } from './auth/early-refusal';
import { registerMetricsHook } from './metrics/metrics-hook';
import { Metrics } from './metrics/metrics.service';
import { registerRequestLog, RequestLogRecorder } from './tokens/request-log/request-log.recorder';
import { SettingsService } from './settings/settings.service';
import { setupSwagger } from './swagger';
import { registerWebSession } from './web/web-session';

const NEST_LEVELS: Record<string, LogLevel[] | false> = {
  silent: false,
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export interface CreateAppOptions {
  /** Where Fastify's request log goes (tests capture it); default stdout. */
  logStream?: NodeJS.WritableStream;
}

/** Builds the whole application; used by main.ts and by the end-to-end tests. */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    // Oversized or malformed request heads, over-long path ids and malformed paths get the
    // JSON error body too (431, 400, 414), though no route or Nest filter sees them.
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    // A hop count trusts that many proxies in front of us (X-Forwarded-For, right to left).
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
    routerOptions: { maxParamLength: 200 },
    genReqId: () => randomUUID(),
    logger:
      config.logLevel === 'silent'
        ? false
        : {
            level: config.logLevel,
            stream: options.logStream,
            redact: {
              paths: SECRET_HEADERS.map((h) => `req.headers["${h}"]`),
              censor: '[REDACTED]',
            },
            serializers: {
              req: (req: FastifyRequest) => ({
                method: req.method,
                url: redactUrl(req.url),
                remoteAddress: req.ip === undefined ? undefined : plainAddress(req.ip),
              }),
            },
          },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config),
    adapter,
    {
      logger: NEST_LEVELS[config.logLevel] ?? NEST_LEVELS.info,
    },
  );
  registerClientAddress(app.getHttpAdapter().getInstance());
  app.useGlobalPipes(apiValidationPipe());
  app.useBodyParser('application/json', { bodyLimit: MAX_BODY_BYTES }, parseJsonBody);
  try {
    // Reads the session key, so the at-rest key check (a wrong SECRET_KEY) fails here.
    await registerWebSession(app, config);
  } catch (error) {
    await app.close(); // the database connections, so that a refused start exits
    throw error;
  }

  const fastify = app.getHttpAdapter().getInstance();
  await registerCors(fastify, config.corsOrigins);
  registerResponseHeaders(fastify, config, app.get(SettingsService));
  registerRequestLog(fastify, app.get(RequestLogRecorder));
  requireJsonBodies(fastify);
  registerMetricsHook(fastify, app.get(Metrics));
  registerEarlyRefusal(
    fastify,
    app.get(Authenticator),
    app.get(SettingsService),
    app.get(AuthFailures),
  );

  setupSwagger(app, config);
  await app.init();
  await fastify.ready();
  return app;
}
