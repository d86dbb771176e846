import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { PasswordAuthenticator } from '../auth/password-authenticator.service';
import { Public } from '../auth/decorators/auth.decorator';
import { AuthErrors } from '../auth/auth-errors';
import { ApiError } from '../common/errors/api-error';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { TwoFactorService } from '../users/two-factor.service';
import { SessionUserService } from './session-user.service';
import { Views } from './views';
import { csrfToken, safeReturnTo, sendHtml } from './web-context';

interface LoginForm {
  login?: unknown;
  password?: unknown;
  code?: unknown;
  return_to?: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** /login and /logout for the web pages and the OAuth consent flow (SPEC §10). */
@ApiExcludeController()
@Controller()
export class LoginController {
  constructor(
    private readonly passwords: PasswordAuthenticator,
    private readonly twoFactor: TwoFactorService,
    private readonly audit: AuditService,
    private readonly failedAuth: FailedAuthLimiter,
    private readonly sessions: SessionUserService,
  ) {}

  @Get('login')
  @Public()
  async form(
    @Query('return_to') returnTo: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const target = safeReturnTo(returnTo);
    if (await this.sessions.activeUser(req)) {
      void reply.redirect(target, 303);
      return;
    }
    sendHtml(
      reply,
      200,
      Views.login({ title: 'Sign in', csrf: csrfToken(reply) }, { returnTo: target }),
    );
  }

  @Post('login')
  @Public()
  async submit(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = (req.body ?? {}) as LoginForm;
    const login = text(body.login).trim();
    const code = text(body.code).trim();
    const returnTo = safeReturnTo(body.return_to);
    const again = (status: number, error: string, needCode = false): void =>
      sendHtml(
        reply,
        status,
        Views.login(
          { title: 'Sign in', csrf: csrfToken(reply) },
          { returnTo, login, error, needCode },
        ),
      );

    // The same per-address limit on failed sign-ins as the API's (password and 2FA guesses).
    const tooMany = (error: ApiError): void => {
      for (const [name, value] of Object.entries(error.headers)) {
        void reply.header(name, value);
      }
      again(429, error.message, code !== '');
    };
    const failed = async (error: ApiError, ...subjects: string[]): Promise<boolean> => {
      const refusal = await this.failedAuth.countFailure(
        error,
        FailedAuthLimiter.address(req.ip),
        ...subjects,
      );
      if (refusal instanceof ApiError && refusal.code === 'rate_limited') {
        tooMany(refusal);
        return true;
      }
      return false;
    };
    /** Answers 429 (and says so) while any of `subjects` is blocked. */
    const blocked = async (...subjects: string[]): Promise<boolean> => {
      try {
        await this.failedAuth.assertAllowed(...subjects);
        return false;
      } catch (error) {
        if (error instanceof ApiError) {
          tooMany(error);
          return true;
        }
        throw error;
      }
    };
    if (await blocked(FailedAuthLimiter.address(req.ip))) {
      return;
    }

    let principal;
    try {
      principal = await this.passwords.authenticate(login, text(body.password));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_credentials') {
        if (await failed(error)) {
          return;
        }
        await this.audit.record({
          action: 'auth.failed',
          actor: null,
          ip: req.ip,
          userAgent: text(req.headers['user-agent']),
          metadata: { method: 'web_login', login: login.slice(0, 100) },
        });
        again(
          401,
          error.message.includes('locked') ? error.message : 'The username or password is wrong.',
        );
        return;
      }
      throw error;
    }
    if (principal.twoFactorEnabled) {
      if (!code) {
        again(401, 'Enter the 6-digit code from your authenticator app.', true);
        return;
      }
      const account = FailedAuthLimiter.account(principal.user.id);
      if (await blocked(account)) {
        return;
      }
      if (!(await this.twoFactor.verifyUserCode(principal.user.id, code))) {
        if (await failed(AuthErrors.invalidCredentials(), account)) {
          return;
        }
        again(401, 'The two-factor code is wrong or expired.', true);
        return;
      }
    }
    // A fresh session for the new sign-in (the old cookie's contents are dropped).
    req.session.regenerate();
    req.session.set('user_id', principal.user.id);
    req.session.set('login_at', Date.now());
    await this.audit.record({
      action: 'web.login',
      actor: principal,
      targetType: 'user',
      targetId: principal.user.id,
      ip: req.ip,
      userAgent: text(req.headers['user-agent']),
    });
    void reply.redirect(returnTo, 303);
  }

  @Post('logout')
  @Public()
  async logout(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const user = await this.sessions.activeUser(req);
    if (user) {
      // Clears this browser's cookie. (A copy of the cookie taken earlier would still work
      // until the session's 8 hours are up; a password change ends every session.)
      await this.audit.record({
        action: 'web.logout',
        actor: null,
        targetType: 'user',
        targetId: user.id,
        ip: req.ip,
        userAgent: text(req.headers['user-agent']),
      });
    }
    req.session.delete();
    void reply.redirect('/login', 303);
  }
}
