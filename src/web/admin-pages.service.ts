import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { In, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { LegacyAuthUsage } from '../auth/entities/legacy-auth-usage.entity';
import { LegacyUsageRecorder } from '../auth/legacy-usage.recorder';
import { AuthPrincipal, SCOPES } from '../auth/auth-types';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { CreateOAuthApplicationRequest } from '../oauth/dto/oauth-application.dto';
import { OAuthApplication } from '../oauth/entities/oauth-application.entity';
import { OAuthService } from '../oauth/oauth.service';
import { OAuthSecrets } from '../oauth/oauth-constants';
import { InstanceSettings } from '../settings/entities/instance-settings.entity';
import { SettingsService } from '../settings/settings.service';
import {
  TOKEN_STATES,
  TokenResponse,
  TokenStateFilter,
  toTokenResponse,
} from '../tokens/dto/token.dto';
import { ApiToken } from '../tokens/entities/api-token.entity';
import { sha256Hex } from '../tokens/token-format';
import { TokenUsageRecorder } from '../tokens/token-usage.recorder';
import { TokensService } from '../tokens/tokens.service';
import { User } from '../users/entities/user.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { field, fieldList, FormBody, PageError, UUID_PATTERN } from './web-forms';

export const ADMIN_TOKENS_PER_PAGE = 50;

export interface SettingsForm {
  restApiEnabled: boolean;
  allowQueryKey: boolean;
  allowBasicPassword: boolean;
  legacyAuthEnabled: boolean;
  /** "YYYY-MM-DDTHH:MM" in UTC, or '' for none. */
  legacyAuthSunsetAt: string;
  maxTokenLifetimeDays: string;
}

export interface ApplicationForm {
  name: string;
  redirectUris: string;
  scopes: string[];
  confidential: boolean;
}

export interface AdminTokenRow {
  token: TokenResponse;
  owner: string;
  workspace: string;
}

/**
 * The admin pages' work, through the same services, rules and audit events as the admin API
 * (SPEC §8, §9). Callers have checked that the session user is an instance admin.
 */
@Injectable()
export class AdminPagesService {
  constructor(
    private readonly settings: SettingsService,
    private readonly audit: AuditService,
    private readonly tokens: TokensService,
    private readonly tokenUsage: TokenUsageRecorder,
    private readonly legacyUsage: LegacyUsageRecorder,
    @InjectRepository(OAuthApplication)
    private readonly applications: Repository<OAuthApplication>,
    @InjectRepository(LegacyAuthUsage) private readonly legacy: Repository<LegacyAuthUsage>,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(ApiToken) private readonly apiTokens: Repository<ApiToken>,
    @InjectRepository(Workspace) private readonly workspaces: Repository<Workspace>,
    private readonly oauth: OAuthService,
  ) {}

  currentSettings(): Promise<InstanceSettings> {
    return this.settings.get();
  }

  /** Saves what changed; the audit event lists the changed settings like PATCH does. */
  async updateSettings(
    me: AuthPrincipal,
    form: SettingsForm,
    meta: RequestMeta,
  ): Promise<InstanceSettings> {
    const days = Number(form.maxTokenLifetimeDays);
    if (!Number.isInteger(days) || days < 1 || days > 365) {
      throw new PageError(
        400,
        'The maximum token lifetime must be a whole number of 1 to 365 days.',
      );
    }
    let sunset: Date | null = null;
    if (form.legacyAuthSunsetAt) {
      sunset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(form.legacyAuthSunsetAt)
        ? new Date(`${form.legacyAuthSunsetAt}Z`)
        : null;
      if (!sunset || Number.isNaN(sunset.getTime())) {
        throw new PageError(400, 'The sunset must be a date and time (UTC), or empty for none.');
      }
    }
    const current = await this.settings.get();
    const wanted = {
      rest_api_enabled: form.restApiEnabled,
      allow_query_key: form.allowQueryKey,
      allow_basic_password: form.allowBasicPassword,
      legacy_auth_enabled: form.legacyAuthEnabled,
      legacy_auth_sunset_at: sunset ? sunset.toISOString() : null,
      max_token_lifetime_days: days,
    };
    const before = {
      rest_api_enabled: current.restApiEnabled,
      allow_query_key: current.allowQueryKey,
      allow_basic_password: current.allowBasicPassword,
      legacy_auth_enabled: current.legacyAuthEnabled,
      legacy_auth_sunset_at: current.legacyAuthSunsetAt?.toISOString() ?? null,
      max_token_lifetime_days: current.maxTokenLifetimeDays,
    };
    const changed = Object.fromEntries(
      Object.entries(wanted).filter(([key, value]) => before[key as keyof typeof before] !== value),
    );
    if (Object.keys(changed).length === 0) {
      return current;
    }
    const updated = await this.settings.update({
      restApiEnabled: wanted.rest_api_enabled,
      allowQueryKey: wanted.allow_query_key,
      allowBasicPassword: wanted.allow_basic_password,
      legacyAuthEnabled: wanted.legacy_auth_enabled,
      legacyAuthSunsetAt: sunset,
      maxTokenLifetimeDays: days,
    });
    await this.audit.record({
      action: 'settings.updated',
      actor: me,
      targetType: 'settings',
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: changed,
    });
    return updated;
  }

  listApplications(): Promise<OAuthApplication[]> {
    return this.applications.find({ order: { createdAt: 'ASC', id: 'ASC' }, take: 500 });
  }

  /** Registers an app like POST /api/v1/admin/oauth/applications; the secret is returned once. */
  async createApplication(
    me: AuthPrincipal,
    form: ApplicationForm,
    meta: RequestMeta,
  ): Promise<{ app: OAuthApplication; secret: string | null }> {
    const dto = plainToInstance(CreateOAuthApplicationRequest, {
      name: form.name,
      redirect_uris: form.redirectUris
        .split(/\r?\n/)
        .map((u) => u.trim())
        .filter(Boolean),
      scopes: form.scopes,
      confidential: form.confidential,
    });
    const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
    const sentences: Record<string, string> = {
      name: 'Give the application a name of up to 120 characters.',
      redirect_uris:
        'Give 1 to 10 different redirect URIs, one per line: https URLs (http only for ' +
        'localhost) without a #fragment.',
      scopes: 'Choose at least one scope.',
    };
    if (errors.length) {
      throw new PageError(
        400,
        errors.map((e) => sentences[e.property] ?? 'Check the form.').join(' '),
      );
    }
    const secret = dto.confidential ? OAuthSecrets.clientSecret() : null;
    const app = this.applications.create({
      id: randomUUID(),
      name: dto.name.trim(),
      clientId: OAuthSecrets.clientId(),
      clientSecretHash: secret ? sha256Hex(secret) : null,
      redirectUris: dto.redirect_uris,
      scopes: SCOPES.filter((s) => dto.scopes.includes(s)),
      confidential: dto.confidential ?? true,
      createdBy: me.user.id,
      createdAt: new Date(),
    });
    await this.applications.insert(app);
    await this.audit.record({
      action: 'oauth_application.created',
      actor: me,
      targetType: 'oauth_application',
      targetId: app.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: { name: app.name, client_id: app.clientId, confidential: app.confidential },
    });
    return { app, secret };
  }

  async findApplication(id: string): Promise<OAuthApplication> {
    const app = UUID_PATTERN.test(id)
      ? await this.applications.findOneBy({ id: id.toLowerCase() })
      : null;
    if (!app) {
      throw new PageError(404, 'This application does not exist (any more).');
    }
    return app;
  }

  async deleteApplication(
    me: AuthPrincipal,
    app: OAuthApplication,
    meta: RequestMeta,
  ): Promise<void> {
    await this.oauth.deleteApplication(app.id);
    await this.audit.record({
      action: 'oauth_application.deleted',
      actor: me,
      targetType: 'oauth_application',
      targetId: app.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: { name: app.name, client_id: app.clientId },
    });
  }

  /** Who still uses X-AUTH-* API passwords, most recent first (with uses not yet written). */
  async legacyReport(): Promise<Array<LegacyAuthUsage & { username: string }>> {
    await this.legacyUsage.flush();
    const rows = await this.legacy.find({
      order: { lastUsedAt: 'DESC', userId: 'ASC' },
      take: 500,
    });
    const names = await this.usernames(rows.map((r) => r.userId));
    return rows.map((r) => Object.assign(r, { username: names.get(r.userId) ?? '' }));
  }

  async listTokens(
    state: string,
    page: number,
  ): Promise<{ rows: AdminTokenRow[]; total: number; state: TokenStateFilter }> {
    const filter = (TOKEN_STATES as readonly string[]).includes(state)
      ? (state as TokenStateFilter)
      : 'all';
    await this.tokenUsage.flush(); // last used time and IP as of now
    const result = await this.tokens.adminList({
      state: filter,
      offset: (page - 1) * ADMIN_TOKENS_PER_PAGE,
      limit: ADMIN_TOKENS_PER_PAGE,
    });
    const names = await this.usernames(result.data.map((t) => t.user_id));
    const workspaceIds = [
      ...new Set(result.data.flatMap((t) => (t.workspace_id ? [t.workspace_id] : []))),
    ];
    const workspaces = workspaceIds.length
      ? await this.workspaces.find({
          where: { id: In(workspaceIds) },
          select: { id: true, name: true },
        })
      : [];
    const wsNames = new Map(workspaces.map((w) => [w.id, w.name]));
    return {
      rows: result.data.map((token) => ({
        token,
        owner: names.get(token.user_id) ?? '',
        workspace: token.workspace_id
          ? (wsNames.get(token.workspace_id) ?? '')
          : 'Instance (no workspace)',
      })),
      total: result.total_count,
      state: filter,
    };
  }

  /** One token for the revoke confirmation (any owner, any workspace). */
  async findToken(id: string): Promise<AdminTokenRow> {
    const token = UUID_PATTERN.test(id)
      ? await this.apiTokens.findOneBy({ id: id.toLowerCase() })
      : null;
    if (!token) {
      throw new PageError(404, 'This token does not exist.');
    }
    const names = await this.usernames([token.userId]);
    const workspace = token.workspaceId
      ? await this.workspaces.findOneBy({ id: token.workspaceId })
      : null;
    return {
      token: toTokenResponse(token),
      owner: names.get(token.userId) ?? '',
      workspace: workspace?.name ?? 'Instance (no workspace)',
    };
  }

  async revokeToken(me: AuthPrincipal, id: string, meta: RequestMeta): Promise<void> {
    await this.tokens.adminRevoke(me, id, meta);
  }

  private async usernames(ids: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    const users = unique.length
      ? await this.users.find({ where: { id: In(unique) }, select: { id: true, username: true } })
      : [];
    return new Map(users.map((u) => [u.id, u.username]));
  }
}

export function parseSettingsForm(body: FormBody): SettingsForm {
  const on = (name: string): boolean => field(body, name) === 'on';
  return {
    restApiEnabled: on('rest_api_enabled'),
    allowQueryKey: on('allow_query_key'),
    allowBasicPassword: on('allow_basic_password'),
    legacyAuthEnabled: on('legacy_auth_enabled'),
    legacyAuthSunsetAt: field(body, 'legacy_auth_sunset_at').trim(),
    maxTokenLifetimeDays: field(body, 'max_token_lifetime_days').trim(),
  };
}

export function parseApplicationForm(body: FormBody): ApplicationForm {
  return {
    name: field(body, 'name').trim(),
    redirectUris: field(body, 'redirect_uris'),
    scopes: fieldList(body, 'scopes'),
    confidential: field(body, 'confidential') === 'on',
  };
}
