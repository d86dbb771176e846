import { HttpStatus } from '@nestjs/common';
import { ApiError, ErrorCode } from './api-error';

const REALM = 'tessera';

function quote(value: string): string {
  return value.replace(/["\\]/g, '');
}

// RFC 6750 §3: a 401 carries a Bearer challenge; without credentials it names no error.
export function unauthorized(code: ErrorCode, message: string): ApiError {
  const challenge =
    code === 'missing_credentials'
      ? `Bearer realm="${REALM}"`
      : `Bearer realm="${REALM}", error="invalid_token", error_description="${quote(message)}"`;
  return new ApiError(HttpStatus.UNAUTHORIZED, code, message, undefined, {
    'WWW-Authenticate': challenge,
  });
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
  missing: (): ApiError =>
    unauthorized(
      'missing_credentials',
      'No credentials were sent. Send an API token as "Authorization: Bearer <token>".',
    ),
  malformedToken: (): ApiError =>
    unauthorized(
      'invalid_token',
      'The token is malformed or its checksum does not match; copy the whole token and try again.',
    ),
  unknownToken: (): ApiError =>
    unauthorized('invalid_token', 'The token is not recognised; create a new token.'),
  revoked: (): ApiError =>
    unauthorized('token_revoked', 'The token has been revoked; create a new token.'),
  expired: (): ApiError =>
    unauthorized('token_expired', 'The token has expired; create a new token.'),
  lockedTokenOwner: (): ApiError =>
    unauthorized(
      'invalid_token',
      'The account that owns this token is locked; ask an administrator to unlock it.',
    ),
  invalidCredentials: (): ApiError =>
    unauthorized('invalid_credentials', 'The username or password is wrong.'),
  lockedAccount: (): ApiError =>
    unauthorized(
      'invalid_credentials',
      'This account is locked; ask an administrator to unlock it.',
    ),
  malformedAuthorization: (): ApiError =>
    unauthorized(
      'invalid_token',
      'The Authorization header is malformed; use "Bearer <token>" or "Basic <base64(user:password)>".',
    ),
};
