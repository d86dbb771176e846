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
