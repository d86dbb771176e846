import { HttpStatus } from '@nestjs/common';

// Every refusal Tessera makes carries one of these codes (SPEC §3).
export type ErrorCode =
  | 'validation_failed'
  | 'workspace_required'
  | 'ambiguous_credentials'
  | 'missing_credentials'
  | 'invalid_token'
  | 'token_revoked'
  | 'token_expired'
  | 'invalid_credentials'
  | 'two_factor_required'
  | 'legacy_auth_removed'
  | 'workspace_read_only'
  | 'api_disabled'
  | 'insufficient_scope'
  | 'forbidden'
  | 'plan_required'
  | 'ip_not_allowed'
  | 'project_not_allowed'
  | 'workspace_forbidden'
  | 'workspace_mismatch'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'token_limit_reached'
  // A token against its workspace's token policy (SPEC §11.3): 400 at minting, 403 in use.
  | 'policy_violation'
  // A webhook target on a loopback, private, link-local or metadata address (SPEC §11.4).
  | 'webhook_url_not_allowed'
  | 'switch_user_invalid'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'service_unavailable'
  | 'database_unavailable'
  // Refusals of the HTTP layer itself (src/common/http/client-errors.ts).
  | 'request_header_too_large'
  | 'uri_too_long'
  | 'request_timeout'
  | 'malformed_request'
  | 'internal_error';

export interface FieldError {
  field: string;
  message: string;
}

export interface ApiErrorBody {
  statusCode: number;
  error: string;
  code: ErrorCode;
  message: string;
  details?: FieldError[];
  request_id?: string;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Error';
}

/**
 * A refusal with a stable code. Features throw these; the global filter renders them.
 * `headers` lets an error carry protocol headers (WWW-Authenticate, Retry-After, ...).
 */
export class ApiError extends Error {
  readonly status: HttpStatus;
  readonly code: ErrorCode;
  readonly details?: FieldError[];
  readonly headers: Record<string, string>;

  constructor(
    status: HttpStatus,
    code: ErrorCode,
    message: string,
    details?: FieldError[],
    headers: Record<string, string> = {},
  ) {
    // A refusal is an answer, not a fault: no stack trace to capture (capturing one was the
    // largest single cost of a refused request). Errors that are faults keep theirs.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  toBody(): ApiErrorBody {
    const body: ApiErrorBody = {
      statusCode: this.status,
      error: reasonPhrase(this.status),
      code: this.code,
      message: this.message,
    };
    if (this.details) {
      body.details = this.details;
    }
    return body;
  }
}

export const notFound = (what: string): ApiError =>
  new ApiError(HttpStatus.NOT_FOUND, 'not_found', `${what} was not found.`);

export const validationFailed = (details: FieldError[], message?: string): ApiError =>
  new ApiError(
    HttpStatus.BAD_REQUEST,
    'validation_failed',
    message ?? 'The request is not valid; see details for each field to fix.',
    details,
  );

export const forbidden = (message: string): ApiError =>
  new ApiError(HttpStatus.FORBIDDEN, 'forbidden', message);

export const conflict = (message: string, field?: string): ApiError =>
  new ApiError(HttpStatus.CONFLICT, 'conflict', message, field ? [{ field, message }] : undefined);
