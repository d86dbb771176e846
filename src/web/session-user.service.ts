import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { AuthPrincipal, SCOPES } from '../auth/auth-types';
import { ActiveSession, SessionsService } from '../sessions/sessions.service';
import { User } from '../users/entities/user.entity';

/** Memo per request: the guard and the handler of one request share one database read. */
const resolved = new WeakMap<FastifyRequest, Promise<ActiveSession | null>>();

function metaOf(request: FastifyRequest): { ip: string; userAgent?: string } {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent : undefined };
}

/**
 * The signed-in person behind a web page, as a principal the services understand. A session
 * acts with the user's full rights (like a password), limited by roles, plans and billing; it is
 * read only by the web pages, never by the JSON API (SPEC §4.6).
 */
@Injectable()
export class SessionUserService {
  constructor(private readonly sessions: SessionsService) {}

  /**
   * The live server-side session of the cookie and its active user, read fresh from the
   * database so that a sign-out, a lock or a password change on any instance ends it at once.
   */
  current(request: FastifyRequest): Promise<ActiveSession | null> {
    let found = resolved.get(request);
    if (!found) {
      const secret = request.session.get('sid');
      found =
        typeof secret === 'string' && secret !== ''
          ? this.sessions.resolve(secret, metaOf(request))
          : Promise.resolve(null);
      resolved.set(request, found);
    }
    return found;
  }

  /** The active user of the session cookie, or null. */
  async activeUser(request: FastifyRequest): Promise<User | null> {
    return (await this.current(request))?.user ?? null;
  }

  /** Starts a server-side session for a user who just signed in (a fresh cookie). */
  async signIn(request: FastifyRequest, userId: string): Promise<void> {
    const { secret } = await this.sessions.start(userId, metaOf(request));
    // The old cookie's contents (CSRF secret, any earlier session) are dropped.
    request.session.regenerate();
    request.session.set('sid', secret);
    resolved.delete(request);
  }

  /** Ends the cookie's session on the server and clears the cookie; true if there was one. */
  async signOut(request: FastifyRequest): Promise<boolean> {
    const secret = request.session.get('sid');
    const ended = typeof secret === 'string' && (await this.sessions.endBySecret(secret));
    request.session.delete();
    resolved.delete(request);
    return ended;
  }

  /** A signed-in user as the principal of a page request: full rights, like a password. */
  principalOf(user: User): AuthPrincipal {
    return {
      user: {
        id: user.id,
        username: user.username,
        email: user.email,
        isAdmin: user.isAdmin,
        type: user.type,
      },
      method: 'session',
      tokenId: null,
      scopes: [...SCOPES],
      tokenWorkspaceId: null,
      expiresAt: null,
      impersonatedBy: null,
      twoFactorEnabled: user.totpEnabledAt !== null,
    };
  }
}
