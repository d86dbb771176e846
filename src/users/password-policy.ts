import { dictionary } from '@zxcvbn-ts/language-common';
import { validationFailed } from '../common/errors/api-error';

let common: Set<string> | null = null;

/** The shipped list (~49,000 passwords seen most in breaches), loaded once on first use. */
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/** What is left of a password without trailing digits and punctuation ("Summer2024!" → "summer"). */
function stem(lowered: string): string {
  return lowered.replace(/[\d\p{P}\p{S}\s]+$/u, '');
}

/**
 * Whether `password` is a common one: on the shipped list (any case), a listed password
 * repeated ("qwertyqwerty"), or a listed word followed only by digits and punctuation
 * ("sunshine2024!") — the first guesses of every password cracker.
 */
export function isCommonPassword(password: string): boolean {
  const list = commonPasswords();
  const lowered = password.normalize('NFKC').toLowerCase();
  if (list.has(lowered)) {
    return true;
  }
  for (let size = 1; size <= lowered.length / 2; size++) {
    if (
      lowered.length % size === 0 &&
      lowered.slice(0, size).repeat(lowered.length / size) === lowered
    ) {
      return size === 1 || list.has(lowered.slice(0, size)) || /^\d+$/.test(lowered);
    }
  }
  const base = stem(lowered);
  return base.length >= 4 && base !== lowered && list.has(base);
}

export interface PasswordContext {
  /** The account's login and e-mail: a password equal to either is refused too. */
  username?: string;
  email?: string;
}

/**
 * The password rule every place that sets a password applies (SPEC §12): throws 400
 * validation_failed naming `field` when the password is a common one or the account's own login
 * or e-mail. Length limits are the DTO's (at least 12 characters).
 */
export function assertAcceptablePassword(
  password: string,
  field = 'password',
  context: PasswordContext = {},
): void {
  const problem = passwordProblem(password, context);
  if (problem) {
    throw validationFailed([{ field, message: problem }]);
  }
}

/** The reason `password` is refused, for forms that show it; null when it is acceptable. */
export function passwordProblem(password: string, context: PasswordContext = {}): string | null {
  const lowered = password.toLowerCase();
  const own = [context.username, context.email, context.email?.split('@')[0]]
    .filter((v): v is string => typeof v === 'string' && v.length > 0)
    .map((v) => v.toLowerCase());
  if (own.includes(lowered)) {
    return 'The password must not be your username or e-mail address.';
  }
  if (isCommonPassword(password)) {
    return 'This password is on the list of common passwords that attackers try first; choose another (a few unrelated words work well).';
  }
  return null;
}
