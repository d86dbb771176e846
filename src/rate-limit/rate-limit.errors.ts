import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';

/** 429 with the headers a client needs to back off (SPEC §3, IETF RateLimit fields). */
export function rateLimited(
  limit: number,
  windowMs: number,
  retryAfterSeconds: number,
  what: string,
): ApiError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return new ApiError(
    HttpStatus.TOO_MANY_REQUESTS,
    'rate_limited',
    `${what}: the limit is ${limit} per ${Math.round(windowMs / 1000)} seconds. Retry after ${retryAfter} seconds.`,
    undefined,
    {
      'Retry-After': String(retryAfter),
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': String(retryAfter),
    },
  );
}
