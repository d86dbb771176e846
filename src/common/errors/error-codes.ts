import { ErrorCode } from './api-error';

/** Every `code` an error body can carry, for the OpenAPI enum (SPEC §3). */
export const ERROR_CODES = [
  'validation_failed',
  'workspace_required',
  'ambiguous_credentials',
  'missing_credentials',
  'invalid_token',
  'token_revoked',
  'token_expired',
  'invalid_credentials',
  'two_factor_required',
  'legacy_auth_removed',
  'workspace_read_only',
  'api_disabled',
  'insufficient_scope',
  'forbidden',
  'plan_required',
  'ip_not_allowed',
  'project_not_allowed',
  'workspace_forbidden',
  'workspace_mismatch',
  'not_found',
  'method_not_allowed',
  'conflict',
  'token_limit_reached',
  'policy_violation',
  'webhook_url_not_allowed',
  'switch_user_invalid',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'quota_exceeded',
  'service_unavailable',
  'database_unavailable',
  'request_header_too_large',
  'uri_too_long',
  'request_timeout',
  'malformed_request',
  'internal_error',
] as const satisfies readonly ErrorCode[];

// Compile-time check that the list above names every ErrorCode: a new code must be added here.
type Unlisted = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
export const ERROR_CODES_COMPLETE: [Unlisted] extends [never] ? true : Unlisted = true;
