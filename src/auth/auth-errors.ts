import { HttpStatus } from '@nestjs/common';
import { ApiError, ErrorCode } from '../common/errors/api-error';

const REALM = 'tessera';

function quote(value: string): string {
  return value.replace(/["\\]/g, '');
}

// RFC 6750 §3: a 401 carries a Bearer challenge; without credentials it names no error. A
// refused password also offers Basic (RFC 7617), so a client that tried Basic learns the realm
// and that Basic is accepted. Never on a 401 without credentials: a browser would prompt.
export function unauthorized(
  code: ErrorCode,
  message: string,
  options: { basic?: boolean } = {},
): ApiError {
  const bearer =
    code === 'missing_credentials'
      ? `Bearer realm="${REALM}"`
      : `Bearer realm="${REALM}", error="invalid_token", error_description="${quote(message)}"`;
  const challenge = options.basic ? `${bearer}, Basic realm="${REALM}", charset="UTF-8"` : bearer;
  return new ApiError(HttpStatus.UNAUTHORIZED, code, message, undefined, {
    'WWW-Authenticate': challenge,
  });
}

const BASIC = { basic: true };

/**
 * A refusal that never varies, made once and thrown as often as it is needed (a guess or a typo
 * costs no allocation). Frozen: nothing may hang request-specific facts on a shared error.
 */
function constant(error: ApiError): () => ApiError {
  Object.freeze(error.headers);
  Object.freeze(error);
  return () => error;
}

export function insufficientScope(scope: string): ApiError {
  return new ApiError(
    HttpStatus.FORBIDDEN,
    'insufficient_scope',
    `This token lacks the ${scope} scope; create a token with the ${scope} scope for this request.`,
    undefined,
    {
      'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"`,
    },
  );
}

export const AuthErrors = {
  missing: constant(
    unauthorized(
      'missing_credentials',
      'No credentials were sent. Send an API token as "Authorization: Bearer <token>".',
    ),
  ),
  malformedToken: constant(
    unauthorized(
      'invalid_token',
      'The token is malformed or its checksum does not match; copy the whole token and try again.',
    ),
  ),
  unknownToken: constant(
    unauthorized('invalid_token', 'The token is not recognised; create a new token.'),
  ),
  revoked: (reason?: string | null): ApiError =>
    unauthorized(
      'token_revoked',
      reason === 'service_account_deleted'
        ? 'The token was revoked because its service account was deleted; a workspace owner or ' +
            'admin can create a new service account and token.'
        : 'The token has been revoked; create a new token.',
    ),
  expired: (): ApiError =>
    unauthorized('token_expired', 'The token has expired; create a new token.'),
  lockedTokenOwner: (): ApiError =>
    unauthorized(
      'invalid_token',
      'The account that owns this token is locked; ask an administrator to unlock it.',
    ),
  invalidCredentials: (): ApiError =>
    unauthorized('invalid_credentials', 'The username or password is wrong.', BASIC),
  legacyIncomplete: (): ApiError =>
    unauthorized(
      'invalid_credentials',
      'Send both X-AUTH-USER and X-AUTH-TOKEN, or better, an API token as "Authorization: Bearer <token>".',
    ),
  legacyRemoved: (reason: 'disabled' | 'sunset'): ApiError =>
    unauthorized(
      'legacy_auth_removed',
      (reason === 'sunset'
        ? 'API passwords (X-AUTH-USER / X-AUTH-TOKEN) reached their sunset date and no longer work. '
        : 'API passwords (X-AUTH-USER / X-AUTH-TOKEN) are switched off on this server. ') +
        'Create an API token and send it as "Authorization: Bearer <token>".',
    ),
  twoFactorRequired: (): ApiError =>
    unauthorized(
      'two_factor_required',
      'This account uses two-factor authentication, so its password cannot be used for API calls. ' +
        'Create an API token and send it as "Authorization: Bearer <token>".',
      BASIC,
    ),
  basicPasswordDisabled: (): ApiError =>
    unauthorized(
      'invalid_credentials',
      'Password authentication is switched off for the API on this server; use an API token.',
      BASIC,
    ),
  queryKeyDisabled: (): ApiError =>
    unauthorized(
      'invalid_token',
      'The ?key= parameter is switched off on this server; send the token in the X-API-Key header.',
    ),
  malformedAuthorization: (): ApiError =>
    unauthorized(
      'invalid_token',
      'The Authorization header is malformed; use "Bearer <token>" or "Basic <base64(user:password)>".',
    ),
};

export const RequestErrors = {
  ambiguous: (): ApiError =>
    new ApiError(
      HttpStatus.BAD_REQUEST,
      'ambiguous_credentials',
      'The request carries credentials of different users or tokens; send exactly one credential.',
    ),
  switchUserInvalid: (login: string): ApiError =>
    new ApiError(
      HttpStatus.PRECONDITION_FAILED,
      'switch_user_invalid',
      `X-Switch-User names no active user (${login.slice(0, 64)}); check the login.`,
    ),
  apiDisabled: (): ApiError =>
    new ApiError(
      HttpStatus.FORBIDDEN,
      'api_disabled',
      'The REST API is switched off on this server; an administrator can switch it on in the admin settings.',
    ),
};
