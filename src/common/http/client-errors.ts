import { ConnectionError, FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { Socket } from 'node:net';
import { ApiError, ErrorCode, reasonPhrase } from '../errors/api-error';

/** The largest request head (request line and headers) the server reads: Node's default. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** The largest request body the server reads (Fastify bodyLimit). */
export const MAX_BODY_BYTES = 1024 * 1024;

// How long a refused connection keeps draining what the client still sends, so that closing it
// does not reset the connection before the client has read the error (a "lingering close").
const LINGER_MS = 2_000;

// Node's parser reports the same error again for every later chunk of a refused connection.
const answered = new WeakSet<Socket>();

interface ClientErrorAnswer {
  status: number;
  code: ErrorCode;
  message: string;
}

function answerFor(errorCode: string | undefined): ClientErrorAnswer {
  switch (errorCode ?? '') {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'request_header_too_large',
        message: `The request line and headers are larger than ${MAX_HEADER_BYTES / 1024} KiB; send a shorter URL and fewer or shorter headers.`,
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        code: 'payload_too_large',
        message:
          'The chunk extensions of the request body are too large; send the body without them.',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        code: 'request_timeout',
        message: 'The request did not arrive in time; send it again.',
      };
    default:
      return {
        status: 400,
        code: 'malformed_request',
        message: 'The request is not valid HTTP/1.1; check its request line and headers.',
      };
  }
}

/**
 * Fastify's clientErrorHandler: answers what Node's HTTP parser refuses before any route runs
 * (oversized or malformed request heads) with the JSON error body of SPEC §3 instead of
 * Fastify's own shape. The raw packet is never logged: it holds the request's credentials.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: ConnectionError,
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) {
    return; // the client is gone, or already has its answer
  }
  const answer = answerFor(error.code);
  this.log.debug({ code: error.code, status: answer.status }, 'client error');
  // Like Node's default: never write into a response that has already started on this socket.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })
    ._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  answered.add(socket);
  const body = JSON.stringify(new ApiError(answer.status, answer.code, answer.message).toBody());
  socket.end(
    `HTTP/1.1 ${answer.status} ${reasonPhrase(answer.status)}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Cache-Control: no-store\r\n' +
      'X-Content-Type-Options: nosniff\r\n' +
      'Connection: close\r\n' +
      '\r\n' +
      body,
  );
  // Read and drop the rest of the request until the client closes, for a bounded time.
  socket.on('data', () => undefined);
  socket.once('end', () => socket.destroy());
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * Fastify's frameworkErrors: what the router refuses before any route, hook or Nest filter runs
 * (a path parameter over maxParamLength, a malformed percent-encoding in the path), in the JSON
 * error body of SPEC §3 instead of Fastify's own, whose `code` is FST_ERR_*.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  _request: unknown,
  reply: FastifyReply,
): void {
  const status = error.statusCode === 414 ? 414 : 400;
  const answer: { code: ErrorCode; message: string } =
    status === 414
      ? {
          code: 'uri_too_long',
          message: 'A part of the path is too long; ids are UUIDs of 36 characters.',
        }
      : {
          code: 'malformed_request',
          message: 'The request path could not be read; check its percent-encoding.',
        };
  void reply
    .code(status)
    .header('Cache-Control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(new ApiError(status, answer.code, answer.message).toBody());
}
