import { FastifyRequest } from 'fastify';
import { ApiError } from '../common/errors/api-error';
import { apiValidationPipe } from '../common/http/validation';

declare module '@fastify/secure-session' {
  interface SessionData {
    /** A one-line notice shown on the next page (post/redirect/get). */
    flash: string;
  }
}

export type FormBody = Record<string, unknown>;

export function formBody(request: FastifyRequest): FormBody {
  const body = request.body;
  return body && typeof body === 'object' ? (body as FormBody) : {};
}

/** A single text field ('' when missing or repeated). */
export function field(body: FormBody, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value : '';
}

/** A field that may repeat (checkbox groups): always a list of strings. */
export function fieldList(body: FormBody, name: string): string[] {
  const value = body[name];
  if (Array.isArray(value)) {
    return value.filter((v): v is string => typeof v === 'string');
  }
  return typeof value === 'string' ? [value] : [];
}

export function setFlash(request: FastifyRequest, message: string): void {
  request.session.set('flash', message);
}

/** The pending notice, removed as it is read. */
export function takeFlash(request: FastifyRequest): string | undefined {
  const message = request.session.get('flash');
  if (message !== undefined) {
    request.session.set('flash', undefined);
  }
  return message;
}

/** A refusal a page shows as a plain sentence, with the HTTP status the API would use. */
export class PageError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'PageError';
  }
}

/**
 * Turns a coded API refusal into a sentence for a person (SPEC §3 codes never reach the page).
 * Anything that is neither an ApiError nor a PageError is rethrown.
 */
export function pageErrorOf(error: unknown): PageError {
  if (error instanceof PageError) {
    return error;
  }
  if (!(error instanceof ApiError)) {
    throw error;
  }
  if (error.code === 'validation_failed') {
    return new PageError(
      error.status,
      error.details?.map((d) => d.message).join(' ') || 'Some fields are not valid.',
    );
  }
  if (error.code === 'not_found') {
    return new PageError(404, 'It no longer exists, or it is not yours to change.');
  }
  // The other refusals (token_limit_reached, forbidden, conflict, ...) already carry a sentence
  // that tells a person what to do.
  return new PageError(error.status, error.message);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** "2026-03-04 17:05 UTC": unambiguous on every screen, whatever the browser's locale. */
export function formatTime(iso: string | Date | null | undefined): string {
  if (!iso) {
    return '';
  }
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`
  );
}

/** "2026-03-04" (UTC), the value format of <input type="date">. */
export function formatDate(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: PageError };

/**
 * For forms that come back with the refusal beside the fields (create a token, the admin
 * forms) instead of on PageExceptionFilter's problem page. Other errors are rethrown.
 */
export async function outcomeOf<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    // A thunk, so that a refusal thrown before the first await is caught too.
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, problem: pageErrorOf(error) };
  }
}

/**
 * A password form's fields checked by the API's own DTO rules (`metatype`), and its
 * `confirm_password` against `new_password`: one rule for every page that sets a password.
 */
export async function passwordForm<T extends { new_password: string }>(
  body: FormBody,
  metatype: new () => T,
  fields: ReadonlyArray<keyof T & string>,
): Promise<T> {
  const values = Object.fromEntries(fields.map((name) => [name, field(body, name)]));
  const dto = (await apiValidationPipe().transform(values, { type: 'body', metatype })) as T;
  if (field(body, 'confirm_password') !== dto.new_password) {
    throw new PageError(400, 'The two new passwords differ; type the same one twice.');
  }
  return dto;
}
