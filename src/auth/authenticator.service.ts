import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import passport from 'passport';
import { AuthPrincipal } from '../common/auth-types';
import { AuthErrors } from '../common/errors/auth-errors';
import { PresentedCredential, presentedCredentials } from './credentials';

/** Resolves the credentials of a request (SPEC §4) to one principal through Passport. */
@Injectable()
export class Authenticator {
  async authenticate(request: FastifyRequest): Promise<AuthPrincipal> {
    const credentials = presentedCredentials(request);
    if (credentials.length === 0) {
      throw AuthErrors.missing();
    }
    const [first] = credentials;
    return this.runStrategy(first);
  }

  private runStrategy(credential: PresentedCredential): Promise<AuthPrincipal> {
    return new Promise<AuthPrincipal>((resolve, reject) => {
      const handle = (error: unknown, user: AuthPrincipal | false | undefined): void => {
        if (error) {
          reject(error instanceof Error ? error : new Error('Authentication failed'));
        } else if (!user) {
          // The strategy found the credential unreadable (bad base64, no colon, ...).
          reject(
            credential.kind === 'basic'
              ? AuthErrors.invalidCredentials()
              : AuthErrors.malformedAuthorization(),
          );
        } else {
          resolve(user);
        }
      };
      const middleware = passport.authenticate(credential.strategy, { session: false }, handle) as (
        req: unknown,
        res: unknown,
        next: (err?: unknown) => void,
      ) => void;
      middleware(credential.request, {}, (err?: unknown) => handle(err, false));
    });
  }
}
