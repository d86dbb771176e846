import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { noteErrorCode } from '../http/error-code';
import { ApiError, ApiErrorBody, ErrorCode, reasonPhrase } from '../errors/api-error';

/** The error body; `database_unavailable` is rendered here only (never thrown by a feature). */
export type RenderedErrorBody = ApiErrorBody;

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'missing_credentials',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

const MESSAGE_BY_STATUS: Record<number, string> = {
  400: 'The request could not be read; send a valid JSON body.',
  404: 'There is nothing at this address; check the path against /api/docs.',
  405: 'This method is not allowed on this route.',
  413: 'The request body is too large.',
  415: 'Send the body as application/json.',
};

function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) {
    return false;
  }
  const code = (error.driverError as { code?: string } | undefined)?.code ?? '';
  return (
    code === 'ER_DUP_ENTRY' ||
    code.startsWith('SQLITE_CONSTRAINT_UNIQUE') ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

// MySQL/MariaDB refusing or dropping the connection, and mysql2's names for a lost connection.
const DATABASE_GONE_CODES = new Set([
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
]);

// Socket errors count only when they come from the database driver (not, say, from Redis).
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Seconds a client should wait before retrying while the database is unreachable. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The code that says the database cannot be reached, or null for any other error (a bad query
 * on a healthy connection included). mysql2 marks every error that broke a connection `fatal`
 * (refused, reset, timed out, lost); TypeORM wraps query errors in QueryFailedError and keeps
 * the driver's error in `driverError`. SQLite still locked by another process after its busy
 * timeout is transient in the same way.
 */
export function databaseDownCode(error: unknown): string | null {
  const fromDriver = error instanceof QueryFailedError;
  for (const candidate of [error, fromDriver ? error.driverError : undefined]) {
    if (!candidate || typeof candidate !== 'object') {
      continue;
    }
    const { code, fatal } = candidate as { code?: unknown; fatal?: unknown };
    const name = typeof code === 'string' ? code : '';
    if (DATABASE_GONE_CODES.has(name) || name.startsWith('SQLITE_BUSY')) {
      return name;
    }
    if (fatal === true || (fromDriver && SOCKET_CODES.has(name))) {
      return name || 'connection_lost';
    }
  }
  return null;
}

function isTooLongForColumn(error: unknown): boolean {
  return (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: string } | undefined)?.code === 'ER_DATA_TOO_LONG'
  );
}

/** Renders anything thrown as the one JSON error body of SPEC §3, never leaking internals. */
export function renderError(
  error: unknown,
  requestId: string,
  logger: Logger,
): { status: number; body: RenderedErrorBody; headers: Record<string, string> } {
  if (error instanceof ApiError) {
    return { status: error.status, body: error.toBody(), headers: error.headers };
  }
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  if (typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_CSRF')) {
    const csrf = new ApiError(
      403,
      'forbidden',
      'The form’s security token is missing or out of date; reload the page and submit it again.',
    );
    return { status: 403, body: csrf.toBody(), headers: {} };
  }
  if (isTooLongForColumn(error)) {
    // Validation should have caught it; never a 500 for a value the client can fix.
    const tooLong = new ApiError(
      400,
      'validation_failed',
      'A value is longer than the field allows; shorten it and try again.',
    );
    return { status: 400, body: tooLong.toBody(), headers: {} };
  }
  if (isUniqueViolation(error)) {
    const conflict = new ApiError(409, 'conflict', 'Another record already uses this value.');
    return { status: 409, body: conflict.toBody(), headers: {} };
  }
  const downCode = databaseDownCode(error);
  if (downCode) {
    // Expected while the database is down: one line per request, not a stack trace each.
    logger.warn(`Database unavailable on request ${requestId}: ${downCode}`);
    return {
      status: 503,
      body: {
        statusCode: 503,
        error: reasonPhrase(503),
        code: 'database_unavailable',
        message:
          'The database is unreachable right now; retry in a few seconds. If this persists, tell the administrator.',
        request_id: requestId,
      },
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
    };
  }
  const status =
    error instanceof HttpException
      ? error.getStatus()
      : typeof (error as { statusCode?: unknown })?.statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : 500;
  if (status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'validation_failed';
    return {
      status,
      body: {
        statusCode: status,
        error: reasonPhrase(status),
        code,
        message: MESSAGE_BY_STATUS[status] ?? 'The request was refused.',
      },
      headers: {},
    };
  }
  logger.error(
    `Unhandled error on request ${requestId}: ${(error as Error)?.stack ?? String(error)}`,
  );
  const unavailable = status === 503;
  return {
    status: unavailable ? 503 : 500,
    body: {
      statusCode: unavailable ? 503 : 500,
      error: reasonPhrase(unavailable ? 503 : 500),
      code: unavailable ? 'service_unavailable' : 'internal_error',
      message: 'Something went wrong on our side; try again, and quote the request id to support.',
      request_id: requestId,
    },
    headers: {},
  };
}

const errorLogger = new Logger('Errors');

/**
 * Answers `request` with the error body of `error`: the exception filter's answer, and the one
 * Fastify hooks that refuse a request before Nest give.
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
  const { status, body, headers } = renderError(error, String(request.id), errorLogger);
  noteErrorCode(request, body.code);
  void reply.status(status).headers(headers).type('application/json').send(body);
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), exception);
  }
}
