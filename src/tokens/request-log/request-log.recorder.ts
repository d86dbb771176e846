import { redactUrl } from '../../common/logging/redact';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { FastifyInstance } from 'fastify';
import { TesseraRequest } from '../../auth/request-context';
import { AppConfig, APP_CONFIG } from '../../config/app-config';
import { DatabaseService } from '../../database/database.service';
import { Metrics } from '../../metrics/metrics.service';
import { MAX_PATH, MAX_USER_AGENT, RequestLogBuffer } from './request-log.buffer';
import { RequestLogStore } from './request-log.store';

/**
 * The application's request log writer (SPEC §11.2): a RequestLogBuffer writing through the
 * RequestLogStore, flushed every TOKEN_REQUEST_LOG_FLUSH_MS and at shutdown. TokensModule's
 * shutdown hook runs before the global TypeORM module closes the DataSource, so the last
 * entries are written (see BatchedWriter).
 */
@Injectable()
export class RequestLogRecorder
  extends RequestLogBuffer
  implements OnModuleInit, OnApplicationShutdown
{
  constructor(
    store: RequestLogStore,
    database: DatabaseService,
    metrics: Metrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super({
      capacity: config.requestLog.buffer,
      flushMs: config.requestLog.flushMs,
      sink: store,
      isOpen: () => store.isOpen,
      canWrite: () => database.sqliteWriteLockFree(),
      onDrop: (kind, count) => metrics.accountingDropped(kind, count),
      logger: new Logger('RequestLog'),
    });
  }

  onModuleInit(): void {
    this.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }
}

/**
 * Logs every response to a request the Authenticator identified an API token for (refusals
 * included). A callback hook with no await: the request path pays a queue push.
 */
export function registerRequestLog(fastify: FastifyInstance, recorder: RequestLogRecorder): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const context = (request as TesseraRequest).tessera;
    const tokenId = context?.tokenId;
    if (tokenId !== undefined) {
      const url = request.url;
      const q = url.indexOf('?');
      // A secret pasted into the path is not kept either (SPEC §3).
      const path = redactUrl(q === -1 ? url : url.slice(0, q));
      const agent = request.headers['user-agent'];
      recorder.record({
        tokenId,
        at: Date.now(),
        method: request.method,
        path: path.length > MAX_PATH ? path.slice(0, MAX_PATH) : path,
        status: reply.statusCode,
        ip: request.ip,
        userAgent:
          agent === undefined
            ? null
            : agent.length > MAX_USER_AGENT
              ? agent.slice(0, MAX_USER_AGENT)
              : agent,
        durationMs: Math.round(reply.elapsedTime),
        addressRefused: context?.addressRefused,
      });
    }
    done();
  });
}
