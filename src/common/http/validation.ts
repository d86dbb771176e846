import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { buildMessage, ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';
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

/** Deeper JSON than any Tessera body has; class-transformer recurses once per level. */
const MAX_JSON_DEPTH = 32;

/** Why `value` cannot even be validated, or null: too deep, or a string that is not text. */
function unreadableInput(
  value: unknown,
  maxDepth: number,
): { field: string; message: string } | null {
  // Iterative, so a hostile nesting cannot overflow the stack here either.
  const stack: Array<[unknown, number, string]> = [[value, 0, '']];
  while (stack.length > 0) {
    const [current, depth, path] = stack.pop() as [unknown, number, string];
    if (typeof current === 'string') {
      if (LONE_SURROGATE.test(current)) {
        // validator.js throws on these (it calls encodeURI), and no column can store them.
        return {
          field: path || 'body',
          message: `${path || 'The value'} is not valid Unicode text.`,
        };
      }
      continue;
    }
    if (current === null || typeof current !== 'object') {
      continue;
    }
    if (depth >= maxDepth) {
      return {
        field: path || 'body',
        message: `The JSON nests deeper than ${maxDepth} levels; send a flat object.`,
      };
    }
    for (const [key, child] of Object.entries(current as Record<string, unknown>)) {
      stack.push([child, depth + 1, path ? `${path}.${key}` : key]);
    }
  }
  return null;
}

class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Only what the client sent: a custom decorator's value (the principal, the workspace the
    // guards resolved) is ours, and walking its object graph on every request was pure cost.
    if (metadata.type === 'custom') {
      return super.transform(value, metadata) as Promise<unknown>;
    }
    const problem = unreadableInput(value, MAX_JSON_DEPTH);
    if (problem) {
      throw validationFailed([problem]);
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** Whitelisting validation whose failures render as 400 validation_failed with details. */
export function apiValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
}

// A UTF-16 surrogate without its pair: not text, and stored as U+FFFD by either database.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * At most `max` characters as the database counts them (Unicode code points). class-validator's
 * MaxLength does not count variation selectors, so a name could pass it and overflow its column.
 * Lone surrogates are refused: they are not text.
 */
export const MaxChars = (max: number, options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'maxChars',
      constraints: [max],
      validator: {
        validate: (value: unknown) =>
          typeof value !== 'string' || (!LONE_SURROGATE.test(value) && [...value].length <= max),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be valid text of at most $constraint1 characters`,
          options,
        ),
      },
    },
    options,
  );

/** Valid text of at most `max` bytes of UTF-8 (IsByteLength threw on lone surrogates). */
export const MaxUtf8Bytes = (max: number, options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'maxUtf8Bytes',
      constraints: [max],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          !LONE_SURROGATE.test(value) &&
          Buffer.byteLength(value, 'utf8') <= max,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be valid text of at most $constraint1 bytes of UTF-8`,
          options,
        ),
      },
    },
    options,
  );

/**
 * Optional, but not nullable: skips validation only when the field is absent, so that null
 * fails validation (400) instead of reaching a NOT NULL column. (@IsOptional() lets null through.)
 */
export const IsOptionalNotNull = (): PropertyDecorator =>
  ValidateIf((_, value: unknown) => value !== undefined);
