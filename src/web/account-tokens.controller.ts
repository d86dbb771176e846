import { Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AuthPrincipal } from '../auth/auth-types';
import { Public } from '../auth/decorators/auth.decorator';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { CreatedTokenResponse } from '../tokens/dto/token.dto';
import {
  AccountTokensService,
  OwnToken,
  parseRestrictForm,
  parseTokenForm,
  RestrictForm,
  TokenForm,
} from './account-tokens.service';
import { AccountServiceAccountsService } from './account-service-accounts.service';
import { AccountViews, Fact, NewSecret } from './account-views';
import { Page } from './page.decorator';
import { PageExceptionFilter } from './page-exception.filter';
import { SessionUser } from './session-user.decorator';
import { sendHtml } from './web-context';
import { field, formatTime, formBody, outcomeOf, setFlash, takeFlash } from './web-forms';
import { pageContext } from './web-pages';
import { tokenFacts, TokenUsagePage } from './token-usage.page';

const HOME = '/account/tokens';
const TOKENS = { home: { path: HOME, label: 'Back to your API tokens' } };
// Creating and rotating a token show a secret: the password again after 15 minutes (sudo mode).
const SENSITIVE = { ...TOKENS, sudo: true };
const GRACE_CHOICES = [
  { value: '0', label: 'Stops working immediately' },
  { value: '3600', label: 'Keeps working for 1 hour' },
  { value: '86400', label: 'Keeps working for 24 hours' },
];

/**
 * /account/tokens (SPEC §10): a signed-in user's API tokens per workspace, created, rotated and
 * revoked through the same service as the API. Session cookie and CSRF token, never a token.
 */
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
@Controller()
export class AccountTokensController {
  constructor(
    private readonly account: AccountTokensService,
    private readonly serviceAccounts: AccountServiceAccountsService,
    private readonly usagePage: TokenUsagePage,
  ) {}

  @Get()
  @Public()
  home(@Res() reply: FastifyReply): void {
    void reply.redirect(HOME, 303);
  }

  @Get('account/tokens')
  @Page(TOKENS)
  async list(
    @SessionUser() me: AuthPrincipal,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const data = await this.account.page(me);
    sendHtml(
      reply,
      200,
      AccountViews.tokens(pageContext(me, reply, 'API tokens', 'tokens'), {
        ...data,
        serviceAccounts: await this.serviceAccounts.sections(me),
        flash: takeFlash(req),
      }),
    );
  }

  @Post('account/tokens')
  @Page(SENSITIVE)
  async create(
    @SessionUser() me: AuthPrincipal,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const form = parseTokenForm(formBody(req));
    // A refusal comes back beside the form as sent, not on a problem page.
    const result = await outcomeOf(() => this.account.create(me, form, meta));
    if (!result.ok) {
      await this.render(me, reply, result.problem.status, form, result.problem.message);
      return;
    }
    const { created, workspaceName } = result.value;
    await this.render(me, reply, 201, {}, undefined, {
      heading: `Your new token “${created.name}” for ${workspaceName}`,
      secret: created.token,
      usage: usageHint(created),
      note: `It expires on ${formatTime(created.expires_at)}.`,
    });
  }

  @Get('account/tokens/:id/revoke')
  @Page(TOKENS)
  async confirmRevoke(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const own = await this.account.own(me, id);
    sendHtml(
      reply,
      200,
      AccountViews.confirm(pageContext(me, reply, 'Revoke token', 'tokens'), {
        heading: `Revoke “${own.token.name}”?`,
        facts: facts(own),
        warning: 'Anything that uses this token stops working at once. ' + 'This cannot be undone.',
        action: `/account/tokens/${own.token.id}/revoke`,
        button: 'Revoke token',
        danger: true,
        cancel: HOME,
      }),
    );
  }

  @Post('account/tokens/:id/revoke')
  @Page(TOKENS)
  async revoke(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const own = await this.account.own(me, id);
    await this.account.revoke(me, own, meta);
    setFlash(
      req,
      `The token “${own.token.name}” (${own.token.tokenPrefix}…) is revoked: it no longer works.`,
    );
    void reply.redirect(HOME, 303);
  }

  /** SPEC §11.2: the token's requests and errors per day as a chart, and its latest requests. */
  @Get('account/tokens/:id/usage')
  @Page(TOKENS)
  async usage(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const own = await this.account.own(me, id);
    await this.usagePage.send(me, reply, {
      token: own.token,
      heading: `Usage of “${own.token.name}”`,
      facts: facts(own),
      back: HOME,
    });
  }

  @Get('account/tokens/:id/restrict')
  @Page(TOKENS)
  async restrictForm(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const own = await this.account.own(me, id);
    this.renderRestrict(me, reply, 200, own, await this.account.restrictForm(own));
  }

  @Post('account/tokens/:id/restrict')
  @Page(TOKENS)
  async restrict(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const own = await this.account.own(me, id);
    const form = parseRestrictForm(formBody(req));
    const result = await outcomeOf(() => this.account.restrict(me, own, form, meta));
    if (!result.ok) {
      const { status, message } = result.problem;
      this.renderRestrict(me, reply, status, own, form, message);
      return;
    }
    setFlash(
      req,
      `The token “${result.value.name}” is saved; the change applies to its next request.`,
    );
    void reply.redirect(HOME, 303);
  }

  @Post('account/tokens/:id/renew')
  @Page(SENSITIVE)
  async renew(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @ReqMeta() meta: RequestMeta,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const own = await this.account.own(me, id);
    await this.showReplacement(me, reply, own, 'Your renewed token for', () =>
      this.account.renew(me, own, meta),
    );
  }

  @Get('account/tokens/:id/rotate')
  @Page(TOKENS)
  async confirmRotate(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const own = await this.account.own(me, id);
    sendHtml(
      reply,
      200,
      AccountViews.confirm(pageContext(me, reply, 'Rotate token', 'tokens'), {
        heading: `Rotate “${own.token.name}”?`,
        facts: facts(own),
        warning:
          'You get a new token with the same name, scopes and expiry, shown once. ' +
          'Choose how long the old one keeps working while you swap it.',
        action: `/account/tokens/${own.token.id}/rotate`,
        button: 'Rotate token',
        danger: false,
        cancel: HOME,
        choice: {
          name: 'grace_seconds',
          label: 'The old token',
          options: GRACE_CHOICES.map((c, i) => ({ ...c, selected: i === 0 })),
        },
      }),
    );
  }

  @Post('account/tokens/:id/rotate')
  @Page(SENSITIVE)
  async rotate(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const own = await this.account.own(me, id);
    const grace = field(formBody(req), 'grace_seconds');
    const graceSeconds = GRACE_CHOICES.some((c) => c.value === grace) ? Number(grace) : 0;
    await this.showReplacement(me, reply, own, 'Your new token for', async () => ({
      created: await this.account.rotate(me, own, graceSeconds, meta),
      graceSeconds,
    }));
  }

  /**
   * A rotation's outcome: the new secret, shown once, and how long the old token works on; a
   * refusal (plan, role, billing, policy) is shown above the list, where the token is.
   */
  private async showReplacement(
    me: AuthPrincipal,
    reply: FastifyReply,
    own: OwnToken,
    heading: string,
    work: () => Promise<{ created: CreatedTokenResponse; graceSeconds: number }>,
  ): Promise<void> {
    const result = await outcomeOf(work);
    if (!result.ok) {
      const { status, message } = result.problem;
      await this.render(me, reply, status, {}, undefined, undefined, message);
      return;
    }
    const { created, graceSeconds } = result.value;
    const old = `${own.token.tokenPrefix}…`;
    await this.render(me, reply, 201, {}, undefined, {
      heading: `${heading} “${created.name}”`,
      secret: created.token,
      usage: usageHint(created),
      note:
        `It expires on ${formatTime(created.expires_at)}. ` +
        (graceSeconds === 0
          ? `The old token (${old}) no longer works.`
          : `The old token (${old}) keeps working until ${formatTime(new Date(Date.now() + graceSeconds * 1000))}.`),
    });
  }

  private renderRestrict(
    me: AuthPrincipal,
    reply: FastifyReply,
    status: number,
    own: OwnToken,
    form: RestrictForm,
    error?: string,
  ): void {
    sendHtml(
      reply,
      status,
      AccountViews.restrict(pageContext(me, reply, 'Restrict token', 'tokens'), {
        heading: `Restrict “${own.token.name}”`,
        facts: facts(own),
        action: `/account/tokens/${own.token.id}/restrict`,
        error,
        ...form,
        cancel: HOME,
      }),
    );
  }

  private async render(
    me: AuthPrincipal,
    reply: FastifyReply,
    status: number,
    form: Partial<TokenForm>,
    formError?: string,
    secret?: NewSecret,
    problem?: string,
  ): Promise<void> {
    const data = await this.account.page(me, form, formError);
    sendHtml(
      reply,
      status,
      AccountViews.tokens(
        pageContext(me, reply, 'API tokens', 'tokens'),
        { ...data, serviceAccounts: await this.serviceAccounts.sections(me), problem },
        secret,
      ),
    );
  }
}

function facts(own: OwnToken): Fact[] {
  return tokenFacts(own.token, own.workspaceName);
}

function usageHint(created: CreatedTokenResponse): string {
  return created.workspace_id
    ? `Send it as “Authorization: Bearer <token>” with “X-Workspace-Id: ${created.workspace_id}”.`
    : 'Send it as “Authorization: Bearer <token>”; an instance token needs no X-Workspace-Id.';
}
