import { HttpStatus } from '@nestjs/common';
import { ApiError, validationFailed } from '../common/errors/api-error';

/** 400 webhook_url_not_allowed (SPEC §11.4), naming the address that decided it. */
export const webhookUrlNotAllowed = (reason: string): ApiError => {
  const message =
    `Webhook URLs must point to a public address: ${reason}. ` +
    'Use a publicly reachable host (or set WEBHOOK_ALLOW_PRIVATE=true on a private installation).';
  return new ApiError(HttpStatus.BAD_REQUEST, 'webhook_url_not_allowed', message, [
    { field: 'url', message },
  ]);
};

/**
 * 400 validation_failed: a URL whose password is `***`, the form a stored password is shown in,
 * where it cannot stand for one (`why`).
 */
export const maskedPasswordRefused = (why: string): ApiError =>
  validationFailed([
    {
      field: 'url',
      message:
        `The password *** is the masked form of a stored password: ${why}. ` +
        'A password that really is *** is written %2A%2A%2A.',
    },
  ]);
