import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators/auth.decorator';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { SessionUserService } from './session-user.service';
import { SignInService } from './sign-in.service';
import { Views } from './views';
import { csrfToken, safeReturnTo, sendHtml } from './web-context';
import { field, formBody } from './web-forms';

/** /login and /logout for the web pages and the OAuth consent flow (SPEC §10). */
@ApiExcludeController()
@Controller()
export class LoginController {
  constructor(
    private readonly signIns: SignInService,
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
  async submit(
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const body = formBody(req);
    const login = field(body, 'login').trim();
    const returnTo = safeReturnTo(body.return_to);
    const result = await this.signIns.signIn(
      { login, password: field(body, 'password'), code: field(body, 'code').trim() },
      meta,
    );
    if (result.kind === 'refused') {
      const { status, message, needCode, headers } = result;
      void reply.headers(headers);
      sendHtml(
        reply,
        status,
        Views.login(
          { title: 'Sign in', csrf: csrfToken(reply) },
          { returnTo, login, error: message, needCode },
        ),
      );
      return;
    }
    // A fresh session for the new sign-in (the old cookie's contents are dropped).
    req.session.regenerate();
    req.session.set('user_id', result.principal.user.id);
    req.session.set('login_at', Date.now());
    void reply.redirect(returnTo, 303);
  }

  @Post('logout')
  @Public()
  async logout(
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const user = await this.sessions.activeUser(req);
    if (user) {
      // Clears this browser's cookie. (A copy of the cookie taken earlier would still work
      // until the session's 8 hours are up; a password change ends every session.)
      await this.signIns.signedOut(user.id, meta);
    }
    req.session.delete();
    void reply.redirect('/login', 303);
  }
}
