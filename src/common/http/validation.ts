import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { FieldError, validationFailed } from '../errors/api-error';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ field, message });
    }
    out.push(...flatten(error.children ?? [], field));
  }
  return out;
}

/** Whitelisting validation whose failures render as 400 validation_failed with details. */
export function apiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
}

/**
 * Optional, but not nullable: skips validation only when the field is absent, so that null
 * fails validation (400) instead of reaching a NOT NULL column. (@IsOptional() lets null through.)
 */
export const IsOptionalNotNull = (): PropertyDecorator =>
  ValidateIf((_, value: unknown) => value !== undefined);
