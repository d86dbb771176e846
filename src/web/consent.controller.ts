import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AuthPrincipal, Scope } from '../auth/auth-types';
import { Public } from '../auth/decorators/auth.decorator';
import { SCOPE_DESCRIPTIONS } from '../oauth/oauth-constants';
import { OAuthService } from '../oauth/oauth.service';
import { Page } from './page.decorator';
import { PageExceptionFilter } from './page-exception.filter';
import { SessionUser } from './session-user.decorator';
import { SessionUserService } from './session-user.service';
import { Views } from './views';
import { csrfToken, sendHtml } from './web-context';
import { FormRoute } from './web-route';

/** GET/POST /oauth/authorize: sign-in if needed, then the consent page (SPEC §9, §10). */
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
@Controller('oauth/authorize')
export class ConsentController {
  constructor(
    private readonly oauth: OAuthService,
    private readonly sessions: SessionUserService,
  ) {}

  @Get()
  @Page()
  async show(
    @SessionUser() me: AuthPrincipal,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const user = me.user;
    const check = await this.oauth.checkAuthorization((req.query ?? {}) as Record<string, unknown>);
    switch (check.kind) {
      case 'invalid':
        sendHtml(
          reply,
          400,
          Views.message(
            { title: 'Authorization failed', user: user.username },
            {
              heading: 'This authorization request cannot be used',
              message: check.message,
            },
          ),
        );
        return;
      case 'redirect':
        void reply.redirect(check.location, 303);
        return;
      case 'consent':
        sendHtml(
          reply,
          200,
          Views.consent(
            { title: `Authorize ${check.app.name}`, user: user.username, csrf: csrfToken(reply) },
            {
              appName: check.app.name,
              scopes: check.scopes.map((s) => ({
                name: s,
                description: SCOPE_DESCRIPTIONS[s as Scope],
              })),
              params: { ...check.params, scope: check.scopes.join(' ') },
            },
          ),
        );
        return;
    }
  }

  // Not a @Page(): a signed-out decision cannot go back to a form the application built, so it
  // says so (401) instead of sending the browser to /login.
  @Post()
  @Public()
  @FormRoute()
  async decide(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const user = await this.sessions.activeUser(req);
    if (!user) {
      sendHtml(
        reply,
        401,
        Views.message(
          { title: 'Signed out' },
          {
            heading: 'Your session has ended',
            message: 'Sign in again and restart the authorization from the application.',
            link: '/login',
            linkText: 'Sign in',
          },
        ),
      );
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    // Everything is checked again: the form's hidden fields are the user's to tamper with.
    const check = await this.oauth.checkAuthorization(body);
    if (check.kind === 'invalid') {
      sendHtml(
        reply,
        400,
        Views.message(
          { title: 'Authorization failed', user: user.username },
          {
            heading: 'This authorization request cannot be used',
            message: check.message,
          },
        ),
      );
      return;
    }
    if (check.kind === 'redirect') {
      void reply.redirect(check.location, 303);
      return;
    }
    const location =
      body.decision === 'approve'
        ? await this.oauth.approve(user.id, check.params)
        : this.oauth.deny(check.params);
    void reply.redirect(location, 303);
  }
}
