import { Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AuthPrincipal } from '../auth/auth-types';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { OAuthAuthorizationsService } from '../oauth/oauth-authorizations.service';
import { SessionsService } from '../sessions/sessions.service';
import { ChangePasswordRequest } from '../users/dto/user.dto';
import { UsersService } from '../users/users.service';
import { Page } from './page.decorator';
import { PageExceptionFilter } from './page-exception.filter';
import { SecurityViews } from './security-views';
import { pageRequestOf, SessionUser } from './session-user.decorator';
import { SessionUserService } from './session-user.service';
import { sendHtml } from './web-context';
import {
  formatTime,
  formBody,
  outcomeOf,
  PageError,
  passwordForm,
  setFlash,
  takeFlash,
} from './web-forms';
import { pageContext } from './web-pages';

const SESSIONS = { home: { path: '/account/sessions', label: 'Back to your sessions' } };
const PASSWORD = { home: { path: '/account/password', label: 'Back to the password form' } };
const APPLICATIONS = {
  home: { path: '/account/applications', label: 'Back to your applications' },
};

/** The session of this page request (PageSessionGuard found it). */
function currentSessionId(request: FastifyRequest): string {
  const found = pageRequestOf(request);
  if (!found) {
    throw new Error('currentSessionId() needs a @Page() route.');
  }
  return found.sessionId;
}

/**
 * /account/sessions, /account/password and /account/applications (SPEC §12): the browsers signed
 * in to the account, each with a button that ends it; the password change that signs out every
 * other browser; the OAuth applications the user authorized, each with a button that revokes it.
 */
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
@Controller('account')
export class AccountSecurityController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly sessionUsers: SessionUserService,
    private readonly authorizations: OAuthAuthorizationsService,
  ) {}

  @Get('sessions')
  @Page(SESSIONS)
  async list(
    @SessionUser() me: AuthPrincipal,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const page = await this.sessions.list(me.user.id, { limit: 100 }, currentSessionId(req));
    sendHtml(
      reply,
      200,
      SecurityViews.sessions(pageContext(me, reply, 'Sessions', 'sessions'), {
        flash: takeFlash(req),
        sessions: page.data.map((s) => ({
          id: s.id,
          userAgent: s.user_agent ?? 'Unknown browser',
          ip: s.ip ?? '',
          created: formatTime(s.created_at),
          lastSeen: formatTime(s.last_seen_at),
          expires: formatTime(s.expires_at),
          current: s.current,
        })),
      }),
    );
  }

  @Post('sessions/:id/end')
  @Page(SESSIONS)
  async end(
    @SessionUser() me: AuthPrincipal,
    @Param('id', new UuidParam('Session')) id: string,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const current = id === currentSessionId(req);
    if (!(await this.sessions.endOwn(me, id, meta))) {
      throw new PageError(404, 'This session has already ended.');
    }
    if (current) {
      await this.sessionUsers.signOut(req);
      void reply.redirect('/login', 303);
      return;
    }
    setFlash(req, 'The session has ended: that browser is signed out.');
    void reply.redirect('/account/sessions', 303);
  }

  @Get('password')
  @Page(PASSWORD)
  form(
    @SessionUser() me: AuthPrincipal,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): void {
    sendHtml(
      reply,
      200,
      SecurityViews.password(pageContext(me, reply, 'Password', 'password'), {
        action: '/account/password',
        askCurrent: true,
        flash: takeFlash(req),
      }),
    );
  }

  @Post('password')
  @Page(PASSWORD)
  async change(
    @SessionUser() me: AuthPrincipal,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const body = formBody(req);
    const changed = await outcomeOf(async () => {
      const dto = await passwordForm(body, ChangePasswordRequest, [
        'current_password',
        'new_password',
      ]);
      await this.users.changeOwnPassword(
        me,
        { currentPassword: dto.current_password, newPassword: dto.new_password },
        meta,
        currentSessionId(req),
      );
    });
    if (!changed.ok) {
      sendHtml(
        reply,
        changed.problem.status,
        SecurityViews.password(pageContext(me, reply, 'Password', 'password'), {
          action: '/account/password',
          askCurrent: true,
          error: changed.problem.message,
        }),
      );
      return;
    }
    setFlash(req, 'Your password is changed. Every other browser is signed out.');
    void reply.redirect('/account/password', 303);
  }

  @Get('applications')
  @Page(APPLICATIONS)
  async applications(
    @SessionUser() me: AuthPrincipal,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const authorized = await this.authorizations.list(me.user.id);
    sendHtml(
      reply,
      200,
      SecurityViews.applications(pageContext(me, reply, 'Applications', 'applications'), {
        flash: takeFlash(req),
        applications: authorized.map((a) => ({
          clientId: a.client_id,
          name: a.name,
          scopes: a.scopes.join(', '),
          authorized: formatTime(a.authorized_at),
          lastIssued: formatTime(a.last_issued_at),
        })),
      }),
    );
  }

  @Post('applications/:clientId/revoke')
  @Page(APPLICATIONS)
  async revokeApplication(
    @SessionUser() me: AuthPrincipal,
    @Param('clientId') clientId: string,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const revoked = await outcomeOf(() => this.authorizations.revoke(me, clientId, meta));
    if (!revoked.ok) {
      throw new PageError(404, 'This application has no access to your account any more.');
    }
    setFlash(req, 'The application’s access has ended: its tokens no longer work.');
    void reply.redirect('/account/applications', 303);
  }
}
