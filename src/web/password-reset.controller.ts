import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators/auth.decorator';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { NewPasswordRequest } from '../users/dto/user.dto';
import { PasswordResetService, RESET_PATH, ResetLinkState } from '../users/password-reset.service';
import { SecurityViews } from './security-views';
import { Views } from './views';
import { csrfToken, sendHtml } from './web-context';
import { field, formBody, outcomeOf, passwordForm } from './web-forms';
import { FormRoute } from './web-route';

const TITLE = 'Set a new password';

/** What a link that cannot be used says, and with which status. */
const REFUSALS: Record<Exclude<ResetLinkState, 'valid'>, { status: number; message: string }> = {
  used: {
    status: 410,
    message:
      'This password reset link has already been used. Ask an administrator for a new one if you still cannot sign in.',
  },
  expired: {
    status: 410,
    message:
      'This password reset link has expired (links work for 1 hour). Ask an administrator for a new one.',
  },
  unknown: {
    status: 404,
    message:
      'This password reset link is not valid. Check that you copied all of it, or ask an administrator for a new one.',
  },
};

/**
 * The page behind a one-time password reset link (SPEC §12): a form for the new password
 * (CSRF-protected); using it consumes the link and signs the user out everywhere.
 */
@ApiExcludeController()
@Controller(RESET_PATH.slice(1))
export class PasswordResetController {
  constructor(private readonly resets: PasswordResetService) {}

  @Get()
  @Public()
  async show(@Query('code') code: unknown, @Res() reply: FastifyReply): Promise<void> {
    const secret = typeof code === 'string' ? code : '';
    const state = await this.resets.state(secret);
    if (state !== 'valid') {
      this.refuse(reply, state);
      return;
    }
    this.form(reply, 200, secret);
  }

  @Post()
  @Public()
  @FormRoute()
  async submit(
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const body = formBody(req);
    const secret = field(body, 'code');
    const outcome = await outcomeOf(async () => {
      const dto = await passwordForm(body, NewPasswordRequest, ['new_password']);
      return this.resets.use(secret, dto.new_password, meta);
    });
    if (!outcome.ok) {
      const state = await this.resets.state(secret);
      if (state !== 'valid') {
        this.refuse(reply, state);
        return;
      }
      this.form(reply, outcome.problem.status, secret, outcome.problem.message);
      return;
    }
    if (outcome.value !== 'valid') {
      this.refuse(reply, outcome.value);
      return;
    }
    sendHtml(
      reply,
      200,
      Views.message(
        { title: TITLE },
        {
          heading: 'Your new password is set',
          message:
            'Every browser that was signed in to your account is signed out. Sign in with the new password.',
          link: '/login',
          linkText: 'Sign in',
        },
      ),
    );
  }

  private form(reply: FastifyReply, status: number, secret: string, error?: string): void {
    sendHtml(
      reply,
      status,
      SecurityViews.password(
        { title: TITLE, csrf: csrfToken(reply) },
        {
          action: RESET_PATH,
          askCurrent: false,
          hidden: [{ name: 'code', value: secret }],
          error,
        },
      ),
    );
  }

  private refuse(reply: FastifyReply, state: Exclude<ResetLinkState, 'valid'>): void {
    const { status, message } = REFUSALS[state];
    sendHtml(
      reply,
      status,
      Views.message(
        { title: TITLE },
        { heading: 'This link cannot be used', message, link: '/login', linkText: 'Sign in' },
      ),
    );
  }
}
