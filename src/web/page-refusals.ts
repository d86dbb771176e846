import { AuthPrincipal } from '../auth/auth-types';

/** No signed-in session: the page filter sends the browser to /login, then to `returnTo`. */
export class SignInRequired extends Error {
  constructor(readonly returnTo: string) {
    super('Sign in first.');
    this.name = 'SignInRequired';
  }
}

/** A signed-in user who is not an instance admin asked for an admin page: a 403 page. */
export class AdminPageOnly extends Error {
  constructor(readonly me: AuthPrincipal) {
    super('Only instance administrators can open this page.');
    this.name = 'AdminPageOnly';
  }
}

/** A sensitive page action whose session last saw the password too long ago: the sudo form. */
export class SudoRequired extends Error {
  constructor(
    readonly me: AuthPrincipal,
    /** Why the last confirmation failed, as a sentence. */
    readonly problem?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super('Confirm your password to continue.');
    this.name = 'SudoRequired';
  }
}
