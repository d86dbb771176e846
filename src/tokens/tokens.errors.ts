import { HttpStatus } from '@nestjs/common';
import { ApiError, forbidden, validationFailed } from '../common/errors/api-error';

export const TokenErrors = {
  limitReached: (limit: number): ApiError =>
    new ApiError(
      HttpStatus.CONFLICT,
      'token_limit_reached',
      `This workspace already has its ${limit} active API tokens. Revoke one, or add a token pack or a larger plan.`,
    ),
  expiryMissing: (): ApiError =>
    validationFailed([
      {
        field: 'expires_in_days',
        message: 'Give expires_in_days or expires_at: every token expires.',
      },
    ]),
  expiryTwice: (): ApiError =>
    validationFailed([
      { field: 'expires_at', message: 'Give either expires_in_days or expires_at, not both.' },
    ]),
  expiryOutOfRange: (field: string, maxDays: number): ApiError =>
    validationFailed([
      { field, message: `A token must expire between 1 and ${maxDays} days from now.` },
    ]),
  oauthCannotMint: (): ApiError =>
    forbidden(
      'An OAuth application cannot create or rotate API tokens; use your password or an API token.',
    ),
  scopesExceedCaller: (): ApiError =>
    forbidden('A token can only create tokens with scopes it has itself.'),
  expiryExceedsCaller: (): ApiError =>
    forbidden('A token can only create tokens that expire no later than itself.'),
  notRotatable: (): ApiError =>
    new ApiError(
      HttpStatus.CONFLICT,
      'conflict',
      'Only an active token that has not been rotated already can be rotated.',
    ),
  cannotManage: (): ApiError =>
    forbidden('Only workspace owners and admins can see every member’s tokens.'),
};
