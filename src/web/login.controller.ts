import { Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators/auth.decorator';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SessionUserService } from './session-user.service';
import { SignInService } from './sign-in.service';
import { Views } from './views';
import { csrfToken, safeReturnTo, sendHtml } from './web-context';
import { field, formBody } from './web-forms';
import { FormRoute } from './web-route';

/** /login and /logout for the web pages and the OAuth consent flow (SPEC §10). */
@ApiExcludeController()
@Controller()
export class LoginController {
  constructor(
    private readonly signIns: SignInService,
    private readonly sessions: SessionUserService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('login')
  @Public()
  async form(
    @Query('return_to') returnTo: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const target = safeReturnTo(returnTo, this.config.publicUrl);
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
  @FormRoute()
  async submit(
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const body = formBody(req);
    const login = field(body, 'login').trim();
    const returnTo = safeReturnTo(body.return_to, this.config.publicUrl);
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
    // A fresh server-side session for the new sign-in, in a fresh cookie.
    await this.sessions.signIn(req, result.principal.user.id);
    void reply.redirect(returnTo, 303);
  }

  @Post('logout')
  @Public()
  @FormRoute()
  async logout(
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const user = await this.sessions.activeUser(req);
    // Ends the session on the server (a copy of the cookie no longer works anywhere) and clears
    // this browser's cookie.
    if ((await this.sessions.signOut(req)) && user) {
      await this.signIns.signedOut(user.id, meta);
    }
    void reply.redirect('/login', 303);
  }
}
