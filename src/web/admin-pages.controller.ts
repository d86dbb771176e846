import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AuthPrincipal } from '../auth/auth-types';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { InstanceSettings } from '../settings/entities/instance-settings.entity';
import { AccountViews } from './account-views';
import {
  ApplicationForm,
  emptyApplicationForm,
  parseApplicationForm,
  parseSettingsForm,
  SettingsForm,
  settingsForm,
} from './admin-forms';
import {
  adminTokenView,
  applicationsPage,
  CreatedApplicationView,
  Notice,
  settingsPage,
  tokensPage,
} from './admin-page-models';
import { AdminPagesService } from './admin-pages.service';
import { AdminViews } from './admin-views';
import { Page } from './page.decorator';
import { PageExceptionFilter } from './page-exception.filter';
import { SessionUser } from './session-user.decorator';
import { sendHtml } from './web-context';
import { formatTime, formBody, outcomeOf, setFlash, takeFlash } from './web-forms';
import { pageContext } from './web-pages';

const ADMIN = { admin: true };
const SETTINGS = { admin: true, home: { path: '/admin/settings', label: 'Back to the settings' } };
const APPS = {
  admin: true,
  home: { path: '/admin/oauth-applications', label: 'Back to the applications' },
};
const TOKENS = { admin: true, home: { path: '/admin/tokens', label: 'Back to all tokens' } };

/**
 * /admin: instance settings, OAuth applications, the legacy-auth report and every token, for
 * signed-in instance administrators (SPEC §8, §9). Others get a 403 page.
 */
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
@Controller('admin')
export class AdminPagesController {
  constructor(private readonly admin: AdminPagesService) {}

  @Get()
  @Page(ADMIN)
  home(@SessionUser() me: AuthPrincipal, @Res() reply: FastifyReply): void {
    sendHtml(reply, 200, AdminViews.home(pageContext(me, reply, 'Administration', 'admin')));
  }

  @Get('settings')
  @Page(SETTINGS)
  async settings(
    @SessionUser() me: AuthPrincipal,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const current = await this.admin.currentSettings();
    this.renderSettings(me, reply, 200, current, settingsForm(current), { flash: takeFlash(req) });
  }

  @Post('settings')
  @Page({ ...SETTINGS, sudo: true })
  async saveSettings(
    @SessionUser() me: AuthPrincipal,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const form = parseSettingsForm(formBody(req));
    const saved = await outcomeOf(() => this.admin.updateSettings(me, form, meta));
    if (!saved.ok) {
      // The form comes back as sent, with the sentence, rather than on a problem page.
      const current = await this.admin.currentSettings();
      this.renderSettings(me, reply, saved.problem.status, current, form, {
        error: saved.problem.message,
      });
      return;
    }
    setFlash(req, 'The settings are saved.');
    void reply.redirect('/admin/settings', 303);
  }

  @Get('oauth-applications')
  @Page(APPS)
  async applications(
    @SessionUser() me: AuthPrincipal,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.renderApplications(me, reply, 200, emptyApplicationForm(), {
      flash: takeFlash(req),
    });
  }

  @Post('oauth-applications')
  @Page({ ...APPS, sudo: true })
  async createApplication(
    @SessionUser() me: AuthPrincipal,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const form = parseApplicationForm(formBody(req));
    const created = await outcomeOf(() => this.admin.createApplication(me, form, meta));
    if (!created.ok) {
      const { status, message } = created.problem;
      await this.renderApplications(me, reply, status, form, { error: message });
      return;
    }
    const { app, secret } = created.value;
    await this.renderApplications(me, reply, 201, emptyApplicationForm(), {
      created: { name: app.name, clientId: app.clientId, secret },
    });
  }

  @Get('oauth-applications/:id/delete')
  @Page(APPS)
  async confirmDeleteApplication(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const app = await this.admin.findApplication(id);
    sendHtml(
      reply,
      200,
      AccountViews.confirm(pageContext(me, reply, 'Delete application', 'admin'), {
        heading: `Delete “${app.name}”?`,
        facts: [
          { label: 'Client id', value: app.clientId },
          { label: 'Redirect URIs', value: app.redirectUris.join(', ') },
          { label: 'Registered', value: formatTime(app.createdAt) },
        ],
        warning:
          'Its authorization codes and access and refresh tokens stop working at once. ' +
          'This cannot be undone.',
        action: `/admin/oauth-applications/${app.id}/delete`,
        button: 'Delete application',
        danger: true,
        cancel: '/admin/oauth-applications',
      }),
    );
  }

  @Post('oauth-applications/:id/delete')
  @Page({ ...APPS, sudo: true })
  async deleteApplication(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const app = await this.admin.deleteApplication(me, id, meta);
    setFlash(req, `The application “${app.name}” is deleted.`);
    void reply.redirect('/admin/oauth-applications', 303);
  }

  @Get('legacy-auth-usage')
  @Page(ADMIN)
  async legacyUsage(@SessionUser() me: AuthPrincipal, @Res() reply: FastifyReply): Promise<void> {
    const rows = await this.admin.legacyReport();
    sendHtml(
      reply,
      200,
      AdminViews.legacy(
        pageContext(me, reply, 'Legacy API passwords', 'admin'),
        rows.map((r) => ({
          username: r.username,
          count: r.useCount,
          first: formatTime(r.firstUsedAt),
          last: formatTime(r.lastUsedAt),
          ip: r.lastIp ?? '',
          userAgent: r.lastUserAgent ?? '',
        })),
      ),
    );
  }

  @Get('tokens')
  @Page(TOKENS)
  async tokens(
    @SessionUser() me: AuthPrincipal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const text = (name: string): string => (typeof query[name] === 'string' ? query[name] : '');
    const pageNumber = Math.min(
      Math.max(Number.parseInt(text('page') || '1', 10) || 1, 1),
      100_000,
    );
    const result = await this.admin.listTokens(
      {
        state: text('state') || 'all',
        owner: text('owner').slice(0, 64),
        workspace: text('workspace').slice(0, 64),
        idleDays: text('idle_days'),
        expiringWithinDays: text('expiring_within_days'),
      },
      pageNumber,
    );
    const ctx = pageContext(me, reply, 'All API tokens', 'admin');
    sendHtml(reply, 200, AdminViews.tokens(ctx, tokensPage(result, pageNumber, takeFlash(req))));
  }

  @Get('tokens/:id/revoke')
  @Page(TOKENS)
  async confirmRevokeToken(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const view = adminTokenView(await this.admin.findToken(id));
    sendHtml(
      reply,
      200,
      AccountViews.confirm(pageContext(me, reply, 'Revoke token', 'admin'), {
        heading: `Revoke “${view.name}” of ${view.owner}?`,
        facts: [
          { label: 'Token', value: `${view.prefix}…` },
          { label: 'Owner', value: view.owner },
          { label: 'Workspace', value: view.workspace },
          { label: 'Scopes', value: view.scopes },
          { label: 'Last used', value: view.lastUsed },
        ],
        warning:
          'Anything that uses this token stops working at once. The owner is not told; ' +
          'the audit log records that you revoked it.',
        action: `/admin/tokens/${view.id}/revoke`,
        button: 'Revoke token',
        danger: true,
        cancel: '/admin/tokens',
      }),
    );
  }

  @Post('tokens/:id/revoke')
  @Page(TOKENS)
  async revokeToken(
    @SessionUser() me: AuthPrincipal,
    @Param('id') id: string,
    @ReqMeta() meta: RequestMeta,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { token, owner } = await this.admin.findToken(id);
    await this.admin.revokeToken(me, token.id, meta);
    setFlash(req, `The token “${token.name}” (${token.token_prefix}…) of ${owner} is revoked.`);
    void reply.redirect('/admin/tokens', 303);
  }

  private renderSettings(
    me: AuthPrincipal,
    reply: FastifyReply,
    status: number,
    current: InstanceSettings,
    form: SettingsForm,
    notice: Notice,
  ): void {
    const ctx = pageContext(me, reply, 'Instance settings', 'admin');
    sendHtml(reply, status, AdminViews.settings(ctx, settingsPage(current, form, notice)));
  }

  private async renderApplications(
    me: AuthPrincipal,
    reply: FastifyReply,
    status: number,
    form: ApplicationForm,
    notice: Notice & { created?: CreatedApplicationView },
  ): Promise<void> {
    const data = applicationsPage(await this.admin.listApplications(), form, notice);
    const ctx = pageContext(me, reply, 'OAuth applications', 'admin');
    sendHtml(reply, status, AdminViews.applications(ctx, data, notice.created));
  }
}
