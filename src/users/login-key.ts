/**
 * The form a login is compared in, the same on every database (SPEC §12): Unicode NFKC, then
 * lower case. "Admin", "ADMIN" and "ａｄｍｉｎ" (full-width) are one login.
 */
export function loginKey(login: string): string {
  return login.normalize('NFKC').toLowerCase();
}
