import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { ApiError } from '../common/errors/api-error';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { WebSession } from '../sessions/entities/web-session.entity';
import { SessionsService, SUDO_MS } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { SudoRequired } from './page-refusals';
import { field, formBody } from './web-forms';

/** The form field of the password confirmation (never passed on to the action). */
export const SUDO_FIELD = 'sudo_password';

/**
 * "Sudo mode" (SPEC §12): a sensitive page action (creating or rotating a token, admin settings,
 * OAuth applications) needs the password typed in this session within the last 15 minutes. When
 * it is older the action is refused with the confirmation form (SudoRequired), which posts the
 * same form back with the password; a right password refreshes the session's authenticated_at and
 * the action goes on. Wrong passwords count as failed sign-ins (per address and per account).
 */
@Injectable()
export class SudoService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly failedAuth: FailedAuthLimiter,
    private readonly audit: AuditService,
  ) {}

  async check(request: FastifyRequest, me: AuthPrincipal, session: WebSession): Promise<void> {
    if (Date.now() - session.authenticatedAt.getTime() < SUDO_MS) {
      return;
    }
    const body = formBody(request);
    const password = field(body, SUDO_FIELD);
    if (password === '') {
      throw new SudoRequired(me);
    }
    delete body[SUDO_FIELD];
    let right: boolean;
    try {
      right = await this.failedAuth.guess(request.ip, me.user.id, () =>
        this.users.verifyPassword(me.user.id, password),
      );
    } catch (error) {
      if (error instanceof ApiError) {
        throw new SudoRequired(me, error.message, error.headers);
      }
      throw error;
    }
    if (!right) {
      throw new SudoRequired(me, 'The password is wrong. Nothing was changed.');
    }
    await this.sessions.reauthenticated(session.id);
    session.authenticatedAt = new Date();
    const agent = request.headers['user-agent'];
    await this.audit.record({
      action: 'web.sudo',
      actor: me,
      targetType: 'user',
      targetId: me.user.id,
      ip: request.ip,
      userAgent: typeof agent === 'string' ? agent : undefined,
    });
  }
}
