import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EntityManager, LessThan, Not, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { Page, pageWindow, PaginationQuery, toPage } from '../common/http/pagination';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { User } from '../users/entities/user.entity';
import { WebSession } from './entities/web-session.entity';
import { SessionResponse, toSessionResponse } from './dto/session.dto';

/** A session lasts this long after sign-in, however often it is used (SPEC §12). */
export const SESSION_HOURS = 8;
/** last_seen_at is written at most this often per session: no database write per request. */
export const TOUCH_INTERVAL_MS = 60_000;
/** Sensitive page actions ask for the password again after this long ("sudo mode"). */
export const SUDO_MS = 15 * 60_000;

/** Why sessions ended, in the session.ended audit event. */
export type SessionEndReason =
  'signed_out' | 'ended_by_user' | 'password_changed' | 'password_reset' | 'user_locked';

/** A live session and its active user. */
export interface ActiveSession {
  session: WebSession;
  user: User;
}

export function hashSessionSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Server-side web sessions (SPEC §12). The browser's cookie carries a random 256-bit secret; the
 * database keeps its SHA-256, the user, the times and the client, so that any instance sees at
 * once that a session was ended (sign-out, a lock, a password change).
 */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(WebSession) private readonly sessions: Repository<WebSession>,
    private readonly audit: AuditService,
  ) {}

  /** A new session for a user who just signed in; returns the secret for the cookie. */
  async start(userId: string, meta: RequestMeta): Promise<{ secret: string; id: string }> {
    const secret = randomBytes(32).toString('base64url');
    const now = new Date();
    const id = randomUUID();
    // The user's long-expired sessions go when they sign in again (the table stays small).
    await this.sessions.delete({ userId, expiresAt: LessThan(now) });
    await this.sessions.insert({
      id,
      secretHash: hashSessionSecret(secret),
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_HOURS * 3_600_000),
      authenticatedAt: now,
      ip: meta.ip.slice(0, 64),
      userAgent: meta.userAgent?.slice(0, 255) ?? null,
    });
    return { secret, id };
  }

  /**
   * The live session of a cookie secret and its active user, or null (unknown, ended, expired,
   * or the user is locked). Notes the use at most once a minute.
   */
  async resolve(secret: string, meta: RequestMeta): Promise<ActiveSession | null> {
    const session = await this.sessions.findOne({
      where: { secretHash: hashSessionSecret(secret) },
      relations: { user: true },
    });
    const now = Date.now();
    if (
      !session?.user ||
      session.expiresAt.getTime() <= now ||
      session.user.status !== 'active' ||
      // Service accounts never sign in (SPEC §11.5); no session of theirs is honoured either.
      session.user.type !== 'human'
    ) {
      return null;
    }
    if (now - session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
      session.lastSeenAt = new Date(now);
      session.ip = meta.ip.slice(0, 64);
      session.userAgent = meta.userAgent?.slice(0, 255) ?? null;
      await this.sessions.update(
        { id: session.id },
        { lastSeenAt: session.lastSeenAt, ip: session.ip, userAgent: session.userAgent },
      );
    }
    return { session, user: session.user };
  }

  /** The password was typed again in this session (sudo mode). */
  async reauthenticated(sessionId: string): Promise<void> {
    await this.sessions.update({ id: sessionId }, { authenticatedAt: new Date() });
  }

  /** Ends the session of a cookie secret (sign-out); true when there was one. */
  async endBySecret(secret: string): Promise<boolean> {
    const result = await this.sessions.delete({ secretHash: hashSessionSecret(secret) });
    return (result.affected ?? 0) > 0;
  }

  /** A user's live sessions, newest first; `currentId` marks the one asking. */
  async list(
    userId: string,
    query: PaginationQuery,
    currentId: string | null,
  ): Promise<Page<SessionResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await this.sessions.findAndCount({
      where: { userId, expiresAt: Not(LessThan(new Date())) },
      order: { createdAt: 'DESC', id: 'ASC' },
      skip: window.offset,
      take: window.limit,
    });
    return toPage(rows, total, window, (row) => toSessionResponse(row, currentId));
  }

  /** Ends one of the user's own sessions; false when it is not theirs (or gone). */
  async endOwn(actor: AuthPrincipal, id: string, meta: RequestMeta): Promise<boolean> {
    const result = await this.sessions.delete({ id, userId: actor.user.id });
    if ((result.affected ?? 0) === 0) {
      return false;
    }
    await this.audit.record({
      action: 'session.ended',
      actor,
      targetType: 'web_session',
      targetId: id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: { reason: 'ended_by_user', user_id: actor.user.id },
    });
    return true;
  }

  /**
   * Ends every session of a user but `exceptId` (a password change keeps the browser it was made
   * in); audited as session.ended with the reason and count when there were any.
   */
  async endAll(
    userId: string,
    reason: SessionEndReason,
    context: { actor: AuthPrincipal | null; meta?: RequestMeta; exceptId?: string | null },
    manager?: EntityManager,
  ): Promise<number> {
    const repo = manager ? manager.getRepository(WebSession) : this.sessions;
    const result = await repo.delete(
      context.exceptId ? { userId, id: Not(context.exceptId) } : { userId },
    );
    const count = result.affected ?? 0;
    if (count > 0) {
      await this.audit.record(
        {
          action: 'session.ended',
          actor: context.actor,
          targetType: 'user',
          targetId: userId,
          ip: context.meta?.ip,
          userAgent: context.meta?.userAgent,
          metadata: { reason, count },
        },
        manager,
      );
    }
    return count;
  }
}
