import { Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AuthPrincipal } from '../auth/auth-types';
import { ApiToken } from '../tokens/entities/api-token.entity';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import {
  AccountServiceAccountsService,
  ManagedServiceAccount,
  parseServiceAccountForm,
  parseServiceAccountTokenForm,
} from './account-service-accounts.service';
import { AccountTokensService } from './account-tokens.service';
import { tokenFacts, TokenUsagePage } from './token-usage.page';
import { AccountViews, NewSecret } from './account-views';
import { Page } from './page.decorator';
import { PageExceptionFilter } from './page-exception.filter';
import { SessionUser } from './session-user.decorator';
import { sendHtml } from './web-context';
import { formatTime, formBody, outcomeOf, setFlash } from './web-forms';
import { pageContext } from './web-pages';

const HOME = '/account/tokens';
const TOKENS = { home: { path: HOME, label: 'Back to your API tokens' } };
// Minting shows a secret: the password again after 15 minutes (sudo mode), as for own tokens.
const SENSITIVE = { ...TOKENS, sudo: true };

/**
 * The service account forms of /account/tokens (SPEC §11.5): create one, make a token for one
 * (shown once), delete one. Through ServiceAccountsService, like the API; session and CSRF token.
 */
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
@Controller('account/service-accounts')
export class AccountServiceAccountsController {
  constructor(
    private readonly serviceAccounts: AccountServiceAccountsService,
    private readonly tokens: AccountTokensService,
    private readonly usagePage: TokenUsagePage,
  ) {}

  @Post()
  @Page(TOKENS)
  async create(
    @SessionUser() me: AuthPrincipal,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const form = parseServiceAccountForm(formBody(req));
    const result = await outcomeOf(() => this.serviceAccounts.create(me, form, meta));
    if (!result.ok) {
      await this.render(me, reply, result.problem.status, result.problem.message);
      return;
    }
    const { account, workspaceName } = result.value;
    setFlash(
      req,
      `The service account “${account.name}” (${account.username}) is a ${account.role} of ` +
        `${workspaceName} now. Create a token for it below.`,
    );
    void reply.redirect(`${HOME}#sa-${account.id}`, 303);
  }

  @Post(':id/tokens')
  @Page(SENSITIVE)
  async mint(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const managed = await this.serviceAccounts.find(me, id);
    const form = parseServiceAccountTokenForm(formBody(req));
    const result = await outcomeOf(() => this.serviceAccounts.mint(me, managed, form, meta));
    if (!result.ok) {
      await this.render(me, reply, result.problem.status, result.problem.message);
      return;
    }
    const created = result.value;
    await this.render(me, reply, 201, undefined, {
      heading: `The new token “${created.name}” of the service account “${managed.account.name}”`,
      secret: created.token,
      usage: `Send it as “Authorization: Bearer <token>” with “X-Workspace-Id: ${managed.place.workspace.id}”.`,
      note: `It acts as ${managed.account.username} and expires on ${formatTime(created.expires_at)}.`,
    });
  }

  /** SPEC §11.2: a service account token's usage, for those who manage the account. */
  @Get(':id/tokens/:tokenId/usage')
  @Page(TOKENS)
  async usage(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @Param('tokenId') tokenId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { managed, token } = await this.managedToken(me, id, tokenId);
    await this.usagePage.send(me, reply, {
      token,
      heading: `Usage of “${token.name}” of the service account “${managed.account.name}”`,
      facts: tokenFacts(token, managed.place.workspace.name, [
        { label: 'Service account', value: managed.account.username },
      ]),
      back: `${HOME}#sa-${managed.account.id}`,
    });
  }

  @Get(':id/tokens/:tokenId/revoke')
  @Page(TOKENS)
  async confirmRevoke(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @Param('tokenId') tokenId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { managed, token } = await this.managedToken(me, id, tokenId);
    sendHtml(
      reply,
      200,
      AccountViews.confirm(pageContext(me, reply, 'Revoke token', 'tokens'), {
        heading: `Revoke “${token.name}” of the service account “${managed.account.name}”?`,
        facts: [
          { label: 'Token', value: `${token.tokenPrefix}…` },
          { label: 'Service account', value: managed.account.username },
          { label: 'Workspace', value: managed.place.workspace.name },
          { label: 'Scopes', value: token.scopes.join(', ') },
          { label: 'Expires', value: formatTime(token.expiresAt) },
        ],
        warning: 'Anything that uses this token stops working at once. This cannot be undone.',
        action: `/account/service-accounts/${managed.account.id}/tokens/${token.id}/revoke`,
        button: 'Revoke token',
        danger: true,
        cancel: HOME,
      }),
    );
  }

  @Post(':id/tokens/:tokenId/revoke')
  @Page(TOKENS)
  async revoke(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @Param('tokenId') tokenId: string,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { managed, token } = await this.managedToken(me, id, tokenId);
    await this.serviceAccounts.revokeToken(me, managed, token, meta);
    setFlash(
      req,
      `The token “${token.name}” (${token.tokenPrefix}…) of “${managed.account.name}” is ` +
        'revoked: it no longer works.',
    );
    void reply.redirect(HOME, 303);
  }

  @Get(':id/delete')
  @Page(TOKENS)
  async confirmDelete(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { account, place } = await this.serviceAccounts.find(me, id);
    sendHtml(
      reply,
      200,
      AccountViews.confirm(pageContext(me, reply, 'Delete service account', 'tokens'), {
        heading: `Delete the service account “${account.name}”?`,
        facts: [
          { label: 'Login', value: account.username },
          { label: 'Workspace', value: place.workspace.name },
          { label: 'Role', value: account.role },
          { label: 'Working tokens', value: String(account.active_tokens) },
        ],
        warning:
          'All its tokens are revoked at once and anything that uses them stops working. ' +
          'This cannot be undone.',
        action: `/account/service-accounts/${account.id}/delete`,
        button: 'Delete service account',
        danger: true,
        cancel: HOME,
      }),
    );
  }

  @Post(':id/delete')
  @Page(TOKENS)
  async delete(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const managed = await this.serviceAccounts.find(me, id);
    await this.serviceAccounts.delete(me, managed, meta);
    setFlash(
      req,
      `The service account “${managed.account.name}” is deleted: its tokens no longer work.`,
    );
    void reply.redirect(HOME, 303);
  }

  /** /account/tokens, with a refusal above it or a new secret. */
  /** One token of a service account the user manages (else a 404 page). */
  private async managedToken(
    me: AuthPrincipal,
    id: string,
    tokenId: string,
  ): Promise<{ managed: ManagedServiceAccount; token: ApiToken }> {
    const managed = await this.serviceAccounts.find(me, id);
    return { managed, token: await this.serviceAccounts.token(managed, tokenId) };
  }

  private async render(
    me: AuthPrincipal,
    reply: FastifyReply,
    status: number,
    problem?: string,
    secret?: NewSecret,
  ): Promise<void> {
    const data = await this.tokens.page(me);
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
