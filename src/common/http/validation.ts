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

/** Query strings remembered per query class (the oldest forgotten first), and their length. */
const MAX_REMEMBERED_QUERIES = 256;
const MAX_REMEMBERED_QUERY_CHARS = 1024;

type Template = Record<string, unknown>;

/**
 * A copy of a validated query object for one request: its own arrays and dates, so that no
 * request can change what the next one receives. Null when a value is not of those plain kinds.
 */
function copyOf(template: Template): Template | null {
  const copy = Object.create(Object.getPrototypeOf(template) as object | null) as Template;
  for (const key of Object.keys(template)) {
    const value = template[key];
    if (Array.isArray(value)) {
      const items = value as unknown[];
      if (!items.every((item) => item === null || typeof item !== 'object')) {
        return null;
      }
      copy[key] = [...items];
    } else if (value instanceof Date) {
      copy[key] = new Date(value.getTime());
    } else if (value !== null && typeof value === 'object') {
      return null;
    } else {
      copy[key] = value;
    }
  }
  return copy;
}

class ApiValidationPipe extends ValidationPipe {
  /**
   * Validated query objects by query class and query string. Validating a query is a pure
   * function of its text (no query class reads the clock or the database), and class-validator
   * with class-transformer was the largest library share of a cached list request's CPU, for
   * the same few query strings that integrations poll with again and again.
   */
  private readonly queries = new WeakMap<object, Map<string, Template>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Only what the client sent: a custom decorator's value (the principal, the workspace the
    // guards resolved) is ours, and walking its object graph on every request was pure cost.
    if (metadata.type === 'custom') {
      return super.transform(value, metadata) as Promise<unknown>;
    }
    const remembered = metadata.type === 'query' ? this.rememberedFor(metadata) : undefined;
    const text = remembered ? JSON.stringify(value ?? null) : undefined;
    const known = text === undefined ? undefined : remembered?.get(text);
    if (known) {
      return copyOf(known);
    }
    const problem = unreadableInput(value, MAX_JSON_DEPTH);
    if (problem) {
      throw validationFailed([problem]);
    }
    const result = (await super.transform(value, metadata)) as unknown;
    if (
      remembered &&
      text !== undefined &&
      text.length <= MAX_REMEMBERED_QUERY_CHARS &&
      result !== null &&
      typeof result === 'object'
    ) {
      const template = copyOf(result as Template);
      if (template) {
        if (remembered.size >= MAX_REMEMBERED_QUERIES) {
          remembered.delete(remembered.keys().next().value as string);
        }
        remembered.set(text, template);
      }
    }
    return result;
  }

  /** The remembered queries of a query class; none for a plain object or no class. */
  private rememberedFor(metadata: ArgumentMetadata): Map<string, Template> | undefined {
    const { metatype } = metadata;
    if (!metatype || metatype === Object || metadata.data !== undefined) {
      return undefined;
    }
    let map = this.queries.get(metatype);
    if (!map) {
      map = new Map();
      this.queries.set(metatype, map);
    }
    return map;
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
