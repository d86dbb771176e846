import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { FastifyRequest } from 'fastify';
import { Repository } from 'typeorm';
import { AuthPrincipal, SCOPES } from '../auth/auth-types';
import { User } from '../users/entities/user.entity';
import { sessionUserId } from './web-context';
import { SESSION_HOURS } from './web-session';

/**
 * The signed-in person behind a web page, as a principal the services understand. A session
 * acts with the user's full rights (like a password), limited by roles, plans and billing; it is
 * read only by the web pages, never by the JSON API (SPEC §4.6).
 */
@Injectable()
export class SessionUserService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /**
   * The active user of the session cookie, read fresh so that locks and admin changes apply at
   * once. A session counts for SESSION_HOURS after sign-in, however often it is used, and not at
   * all once its user's password was changed after it signed in: the cookie itself cannot be
   * taken back, so the user row says which sign-ins still hold.
   */
  async activeUser(request: FastifyRequest): Promise<User | null> {
    const id = sessionUserId(request);
    const loginAt = request.session.get('login_at');
    if (!id || typeof loginAt !== 'number' || Date.now() - loginAt > SESSION_HOURS * 3_600_000) {
      return null;
    }
    const user = await this.users.findOneBy({ id, status: 'active' });
    if (!user || (user.sessionsValidAfter && loginAt < user.sessionsValidAfter.getTime())) {
      return null;
    }
    return user;
  }

  /** The session's user as a principal the services understand, or null. */
  async principal(request: FastifyRequest): Promise<AuthPrincipal | null> {
    const user = await this.activeUser(request);
    if (!user) {
      return null;
    }
    return {
      user: { id: user.id, username: user.username, email: user.email, isAdmin: user.isAdmin },
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
