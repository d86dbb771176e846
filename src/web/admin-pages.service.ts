import { loginKey } from '../users/login-key';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { AuthPrincipal } from '../auth/auth-types';
import { LegacyAuthUsageService, LegacyUsageRow } from '../auth/legacy-auth-usage.service';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { OAuthApplication } from '../oauth/entities/oauth-application.entity';
import { CreatedApplication, OAuthApplicationsService } from '../oauth/oauth-applications.service';
import { InstanceSettings } from '../settings/entities/instance-settings.entity';
import { SettingsService } from '../settings/settings.service';
import {
  TOKEN_STATES,
  TokenResponse,
  TokenStateFilter,
  toTokenResponse,
} from '../tokens/dto/token.dto';
import { ApiToken } from '../tokens/entities/api-token.entity';
import { TokenUsageRecorder } from '../tokens/token-usage.recorder';
import { TokensService } from '../tokens/tokens.service';
import { User } from '../users/entities/user.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { tokenPolicyOf } from '../workspaces/workspace-policy';
import { ApplicationForm, applicationRequest, SettingsForm, settingsChanges } from './admin-forms';
import { PageError, UUID_PATTERN } from './web-forms';

export const ADMIN_TOKENS_PER_PAGE = 50;

export interface AdminTokenRow {
  token: TokenResponse;
  owner: string;
  workspace: string;
}

/** The admin inventory's filters as typed in its form (SPEC §11.2). */
export interface AdminTokenFilters {
  state: string;
  owner: string;
  workspace: string;
  idleDays: string;
  expiringWithinDays: string;
}

/**
 * The admin pages' work, through the same services, rules and audit events as the admin API
 * (SPEC §8, §9). Callers have checked that the session user is an instance admin.
 */
@Injectable()
export class AdminPagesService {
  constructor(
    private readonly settings: SettingsService,
    private readonly tokens: TokensService,
    private readonly tokenUsage: TokenUsageRecorder,
    private readonly legacyUsage: LegacyAuthUsageService,
    private readonly applications: OAuthApplicationsService,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(ApiToken) private readonly apiTokens: Repository<ApiToken>,
    @InjectRepository(Workspace) private readonly workspaces: Repository<Workspace>,
  ) {}

  currentSettings(): Promise<InstanceSettings> {
    return this.settings.get();
  }

  /** Saves what changed, audited like PATCH /api/v1/admin/settings (one rule for both). */
  updateSettings(
    me: AuthPrincipal,
    form: SettingsForm,
    meta: RequestMeta,
  ): Promise<InstanceSettings> {
    return this.settings.change(me, settingsChanges(form), meta);
  }

  async listApplications(): Promise<OAuthApplication[]> {
    const [apps] = await this.applications.list({ offset: 0, limit: 500 });
    return apps;
  }

  /** Registers an app like POST /api/v1/admin/oauth/applications; the secret is returned once. */
  async createApplication(
    me: AuthPrincipal,
    form: ApplicationForm,
    meta: RequestMeta,
  ): Promise<CreatedApplication> {
    return this.applications.create(me, await applicationRequest(form), meta);
  }

  findApplication(id: string): Promise<OAuthApplication> {
    return this.applications.find(id);
  }

  deleteApplication(me: AuthPrincipal, id: string, meta: RequestMeta): Promise<OAuthApplication> {
    return this.applications.delete(me, id, meta);
  }

  async legacyReport(): Promise<LegacyUsageRow[]> {
    const [rows] = await this.legacyUsage.report({ offset: 0, limit: 500 });
    return rows;
  }

  /**
   * The admin inventory (SPEC §8, §11.2 filters): state, owner (by login), workspace, unused for
   * N days, expiring within N days; filters that do not parse are left out, an unknown owner
   * matches nothing.
   */
  async listTokens(
    filters: AdminTokenFilters,
    page: number,
  ): Promise<{ rows: AdminTokenRow[]; total: number; filters: AdminTokenFilters }> {
    const state = (TOKEN_STATES as readonly string[]).includes(filters.state)
      ? (filters.state as TokenStateFilter)
      : 'all';
    const days = (text: string, max: number): number | undefined => {
      const n = /^\d{1,4}$/.test(text.trim()) ? Number(text.trim()) : NaN;
      return n >= 1 && n <= max ? n : undefined;
    };
    const owner = filters.owner.trim()
      ? await this.users.findOne({
          where: { loginKey: loginKey(filters.owner.trim()) },
          select: { id: true },
        })
      : undefined;
    const workspaceId = UUID_PATTERN.test(filters.workspace.trim())
      ? filters.workspace.trim().toLowerCase()
      : undefined;
    await this.tokenUsage.flush(); // last used time and IP as of now
    const query = {
      state,
      offset: (page - 1) * ADMIN_TOKENS_PER_PAGE,
      limit: ADMIN_TOKENS_PER_PAGE,
      user_id: owner?.id,
      workspace_id: workspaceId,
      idle_days: days(filters.idleDays, 3650),
      expiring_within_days: days(filters.expiringWithinDays, 365),
    };
    const result =
      filters.owner.trim() && !owner
        ? { data: [], total_count: 0 }
        : await this.tokens.adminList(query);
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
      filters: {
        state,
        owner: filters.owner.trim(),
        workspace: workspaceId ?? '',
        idleDays: query.idle_days === undefined ? '' : String(query.idle_days),
        expiringWithinDays:
          query.expiring_within_days === undefined ? '' : String(query.expiring_within_days),
      },
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
      token: toTokenResponse(token, workspace ? tokenPolicyOf(workspace) : null),
      owner: names.get(token.userId) ?? '',
      workspace: workspace?.name ?? 'Instance (no workspace)',
    };
  }

  async revokeToken(me: AuthPrincipal, id: string, meta: RequestMeta): Promise<void> {
    await this.tokens.adminRevoke(me, id, meta);
  }

  /** Owners as the inventory names them: a service account says so (SPEC §11.5). */
  private async usernames(ids: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    const users = unique.length
      ? await this.users.find({
          where: { id: In(unique) },
          select: { id: true, username: true, type: true },
        })
      : [];
    return new Map(
      users.map((u) => [
        u.id,
        u.type === 'service_account' ? `${u.username} (service account)` : u.username,
      ]),
    );
  }
}
