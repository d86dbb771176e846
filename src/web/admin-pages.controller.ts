import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AuthPrincipal, SCOPES } from '../auth/auth-types';
import { Public } from '../auth/decorators/auth.decorator';
import { OAuthApplication } from '../oauth/entities/oauth-application.entity';
import { InstanceSettings } from '../settings/entities/instance-settings.entity';
import { SCOPE_EXPLANATIONS } from './account-tokens.service';
import { AccountViews } from './account-views';
import {
  ADMIN_TOKENS_PER_PAGE,
  AdminPagesService,
  AdminTokenRow,
  ApplicationForm,
  parseApplicationForm,
  parseSettingsForm,
  SettingsForm,
} from './admin-pages.service';
import { AdminTokenView, AdminViews } from './admin-views';
import { requestMeta, SessionUserService } from './session-user.service';
import { sendHtml } from './web-context';
import { formatTime, formBody, pageErrorOf, setFlash, takeFlash } from './web-forms';
import { pageContext, requireSession, sendProblem } from './web-pages';

const ADMIN = { admin: true } as const;
const STATE_LABELS = { active: 'Active', expired: 'Expired', revoked: 'Revoked' } as const;

/**
 * /admin: instance settings, OAuth applications, the legacy-auth report and every token, for
 * signed-in instance administrators (SPEC §8, §9). Others get a 403 page.
 */
@ApiExcludeController()
@Controller('admin')
export class AdminPagesController {
  constructor(
    private readonly users: SessionUserService,
    private readonly admin: AdminPagesService,
  ) {}

  @Get()
  @Public()
  async home(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const me = await requireSession(this.users, req, reply, ADMIN);
    if (me) {
      sendHtml(reply, 200, AdminViews.home(pageContext(me, reply, 'Administration', 'admin')));
    }
  }

  @Get('settings')
  @Public()
  async settings(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const me = await requireSession(this.users, req, reply, ADMIN);
    if (me) {
      const current = await this.admin.currentSettings();
      this.renderSettings(me, reply, 200, current, settingsForm(current), takeFlash(req));
    }
  }

  @Post('settings')
  @Public()
  async saveSettings(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const me = await requireSession(this.users, req, reply, {
      ...ADMIN,
      returnTo: '/admin/settings',
    });
    if (!me) {
      return;
    }
    const form = parseSettingsForm(formBody(req));
    try {
      await this.admin.updateSettings(me, form, requestMeta(req));
    } catch (error) {
      const problem = pageErrorOf(error);
      const current = await this.admin.currentSettings();
      this.renderSettings(me, reply, problem.status, current, form, undefined, problem.message);
      return;
    }
    setFlash(req, 'The settings are saved.');
    void reply.redirect('/admin/settings', 303);
  }

  @Get('oauth-applications')
  @Public()
  async applications(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const me = await requireSession(this.users, req, reply, ADMIN);
    if (me) {
      await this.renderApplications(me, reply, 200, emptyApplicationForm(), {
        flash: takeFlash(req),
      });
    }
  }

  @Post('oauth-applications')
  @Public()
  async createApplication(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const me = await requireSession(this.users, req, reply, {
      ...ADMIN,
      returnTo: '/admin/oauth-applications',
    });
    if (!me) {
      return;
    }
    const form = parseApplicationForm(formBody(req));
    let created: { app: OAuthApplication; secret: string | null };
    try {
      created = await this.admin.createApplication(me, form, requestMeta(req));
    } catch (error) {
      const problem = pageErrorOf(error);
      await this.renderApplications(me, reply, problem.status, form, { error: problem.message });
      return;
    }
    await this.renderApplications(me, reply, 201, emptyApplicationForm(), {
      created: { name: created.app.name, clientId: created.app.clientId, secret: created.secret },
    });
  }

  @Get('oauth-applications/:id/delete')
  @Public()
  async confirmDeleteApplication(
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const me = await requireSession(this.users, req, reply, ADMIN);
    const app = me && (await this.applicationOrProblem(me, id, reply));
    if (!me || !app) {
      return;
    }
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
  @Public()
  async deleteApplication(
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const me = await requireSession(this.users, req, reply, {
      ...ADMIN,
      returnTo: '/admin/oauth-applications',
    });
    const app = me && (await this.applicationOrProblem(me, id, reply));
    if (!me || !app) {
      return;
    }
    await this.admin.deleteApplication(me, app.id, requestMeta(req));
    setFlash(req, `The application “${app.name}” is deleted.`);
    void reply.redirect('/admin/oauth-applications', 303);
  }

  @Get('legacy-auth-usage')
  @Public()
  async legacyUsage(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const me = await requireSession(this.users, req, reply, ADMIN);
    if (!me) {
      return;
    }
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
  @Public()
  async tokens(
    @Query('state') state: string | undefined,
    @Query('page') pageParam: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const me = await requireSession(this.users, req, reply, ADMIN);
    if (!me) {
      return;
    }
    const pageNumber = Math.min(Math.max(Number.parseInt(pageParam ?? '1', 10) || 1, 1), 100_000);
    const result = await this.admin.listTokens(state ?? 'all', pageNumber);
    const link = (n: number): string => `/admin/tokens?state=${result.state}&page=${n}`;
    const first = (pageNumber - 1) * ADMIN_TOKENS_PER_PAGE;
    sendHtml(
      reply,
      200,
      AdminViews.tokens(pageContext(me, reply, 'All API tokens', 'admin'), {
        flash: takeFlash(req),
        tokens: result.rows.map(adminTokenView),
        states: (['all', 'active', 'expired', 'revoked'] as const).map((value) => ({
          value,
          label: value === 'all' ? 'All tokens' : `${STATE_LABELS[value]} tokens`,
          selected: value === result.state,
        })),
        summary: result.total
          ? `${first + 1}–${first + result.rows.length} of ${result.total} tokens, newest first.`
          : 'No tokens.',
        previous: pageNumber > 1 ? link(pageNumber - 1) : undefined,
        next: first + result.rows.length < result.total ? link(pageNumber + 1) : undefined,
      }),
    );
  }

  @Get('tokens/:id/revoke')
  @Public()
  async confirmRevokeToken(
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const me = await requireSession(this.users, req, reply, ADMIN);
    const row = me && (await this.tokenOrProblem(me, id, reply));
    if (!me || !row) {
      return;
    }
    const view = adminTokenView(row);
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
  @Public()
  async revokeToken(
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const me = await requireSession(this.users, req, reply, {
      ...ADMIN,
      returnTo: '/admin/tokens',
    });
    const row = me && (await this.tokenOrProblem(me, id, reply));
    if (!me || !row) {
      return;
    }
    await this.admin.revokeToken(me, row.token.id, requestMeta(req));
    setFlash(
      req,
      `The token “${row.token.name}” (${row.token.token_prefix}…) of ${row.owner} is revoked.`,
    );
    void reply.redirect('/admin/tokens', 303);
  }

  private renderSettings(
    me: AuthPrincipal,
    reply: FastifyReply,
    status: number,
    current: InstanceSettings,
    form: SettingsForm,
    flash?: string,
    error?: string,
  ): void {
    sendHtml(
      reply,
      status,
      AdminViews.settings(pageContext(me, reply, 'Instance settings', 'admin'), {
        flash,
        error,
        switches: [
          {
            name: 'rest_api_enabled',
            label: 'REST API on',
            hint: 'Off: every /api/v1 call gets 403 api_disabled, except an admin’s password on the settings route.',
            checked: form.restApiEnabled,
          },
          {
            name: 'allow_query_key',
            label: 'Accept ?key=<token>',
            hint: 'Tokens in URLs end up in logs and browser history; prefer headers.',
            checked: form.allowQueryKey,
          },
          {
            name: 'allow_basic_password',
            label: 'Accept HTTP Basic username:password',
            hint: 'Account passwords on the API (refused for users with two-factor authentication).',
            checked: form.allowBasicPassword,
          },
          {
            name: 'legacy_auth_enabled',
            label: 'Accept legacy API passwords',
            hint: 'X-AUTH-USER and X-AUTH-TOKEN headers; every use is in the report.',
            checked: form.legacyAuthEnabled,
          },
        ],
        sunset: form.legacyAuthSunsetAt,
        maxDays: form.maxTokenLifetimeDays,
        updatedAt: formatTime(current.updatedAt),
      }),
    );
  }

  private async renderApplications(
    me: AuthPrincipal,
    reply: FastifyReply,
    status: number,
    form: ApplicationForm,
    extra: {
      flash?: string;
      error?: string;
      created?: { name: string; clientId: string; secret: string | null };
    },
  ): Promise<void> {
    const apps = await this.admin.listApplications();
    sendHtml(
      reply,
      status,
      AdminViews.applications(
        pageContext(me, reply, 'OAuth applications', 'admin'),
        {
          flash: extra.flash,
          error: extra.error,
          apps: apps.map((a) => ({
            id: a.id,
            name: a.name,
            clientId: a.clientId,
            kind: a.confidential ? 'Confidential' : 'Public (PKCE)',
            redirectUris: a.redirectUris,
            scopes: a.scopes.join(', '),
            created: formatTime(a.createdAt),
          })),
          form: {
            name: form.name,
            redirectUris: form.redirectUris,
            scopes: SCOPES.map((s) => ({
              name: s,
              description: SCOPE_EXPLANATIONS[s],
              checked: form.scopes.includes(s),
            })),
            confidential: form.confidential,
          },
        },
        extra.created,
      ),
    );
  }

  private async applicationOrProblem(
    me: AuthPrincipal,
    id: string,
    reply: FastifyReply,
  ): Promise<OAuthApplication | null> {
    try {
      return await this.admin.findApplication(id);
    } catch (error) {
      const problem = pageErrorOf(error);
      sendProblem(
        reply,
        pageContext(me, reply, 'Application', 'admin'),
        problem.status,
        problem.message,
        {
          link: '/admin/oauth-applications',
          text: 'Back to the applications',
        },
      );
      return null;
    }
  }

  private async tokenOrProblem(
    me: AuthPrincipal,
    id: string,
    reply: FastifyReply,
  ): Promise<AdminTokenRow | null> {
    try {
      return await this.admin.findToken(id);
    } catch (error) {
      const problem = pageErrorOf(error);
      sendProblem(
        reply,
        pageContext(me, reply, 'Token', 'admin'),
        problem.status,
        problem.message,
        {
          link: '/admin/tokens',
          text: 'Back to all tokens',
        },
      );
      return null;
    }
  }
}

function settingsForm(s: InstanceSettings): SettingsForm {
  return {
    restApiEnabled: s.restApiEnabled,
    allowQueryKey: s.allowQueryKey,
    allowBasicPassword: s.allowBasicPassword,
    legacyAuthEnabled: s.legacyAuthEnabled,
    // <input type="datetime-local"> wants "YYYY-MM-DDTHH:MM"; the page states it is UTC.
    legacyAuthSunsetAt: s.legacyAuthSunsetAt?.toISOString().slice(0, 16) ?? '',
    maxTokenLifetimeDays: String(s.maxTokenLifetimeDays),
  };
}

function emptyApplicationForm(): ApplicationForm {
  return { name: '', redirectUris: '', scopes: ['read'], confidential: true };
}

function adminTokenView(row: AdminTokenRow): AdminTokenView {
  const t = row.token;
  return {
    id: t.id,
    name: t.name,
    prefix: t.token_prefix,
    owner: row.owner,
    workspace: row.workspace,
    scopes: t.scopes.join(', '),
    expires: formatTime(t.expires_at),
    lastUsed: t.last_used_at
      ? `${formatTime(t.last_used_at)}${t.last_used_ip ? ` from ${t.last_used_ip}` : ''}`
      : 'Never',
    state: t.state,
    stateLabel: STATE_LABELS[t.state],
    canRevoke: t.state === 'active',
  };
}
