import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Repository } from 'typeorm';
import { AuthPrincipal, Scope, SCOPES } from '../auth/auth-types';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { Project } from '../projects/entities/project.entity';
import { SettingsService } from '../settings/settings.service';
import { CreatedTokenResponse } from '../tokens/dto/token.dto';
import { ApiToken } from '../tokens/entities/api-token.entity';
import { TokensService } from '../tokens/tokens.service';
import { ServiceAccountResponse } from '../workspaces/dto/service-account.dto';
import { Membership } from '../workspaces/entities/membership.entity';
import { ServiceAccount } from '../workspaces/entities/service-account.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { ServiceAccountsService, WorkspacePlace } from '../workspaces/service-accounts.service';
import { WorkspaceAccessService } from '../workspaces/workspace-access.service';
import {
  longestLifetimeDays,
  SERVICE_ACCOUNT_ACTIONS,
  SERVICE_ACCOUNT_ROLES,
  ServiceAccountRole,
  tokenPolicyOf,
  workspaceRefusal,
} from '../workspaces/workspace-policy';
import {
  EXPIRY_PRESETS,
  inPageWords,
  policySentence,
  SCOPE_EXPLANATIONS,
  tokenRow,
} from './account-tokens.service';
import { ServiceAccountSection } from './account-views';
import { field, fieldList, FormBody, PageError, UUID_PATTERN } from './web-forms';

export interface ServiceAccountForm {
  workspace: string;
  name: string;
  role: string;
}

export interface ServiceAccountTokenForm {
  name: string;
  scopes: Scope[];
  expiresIn: string;
  /** Allowed addresses as typed: separated by new lines, commas or spaces. */
  addresses: string[];
}

/** A service account the signed-in user manages, with where it lives. */
export interface ManagedServiceAccount {
  account: ServiceAccountResponse;
  place: WorkspacePlace;
}

const NOT_YOURS = 'This service account does not exist, or you do not manage its workspace.';

/**
 * The "Service accounts" part of /account/tokens (SPEC §11.5): per workspace the user manages,
 * its service accounts with their tokens, and the forms to create one, mint a token for one and
 * delete one. Every action goes through ServiceAccountsService, which applies the workspace
 * policy; a refusal comes back in the page's words.
 */
@Injectable()
export class AccountServiceAccountsService {
  constructor(
    private readonly accounts: ServiceAccountsService,
    private readonly access: WorkspaceAccessService,
    private readonly settings: SettingsService,
    @InjectRepository(ServiceAccount) private readonly records: Repository<ServiceAccount>,
    @InjectRepository(Membership) private readonly memberships: Repository<Membership>,
    @InjectRepository(Workspace) private readonly workspaces: Repository<Workspace>,
    @InjectRepository(Project) private readonly projects: Repository<Project>,
    @InjectRepository(ApiToken) private readonly apiTokens: Repository<ApiToken>,
    private readonly tokens: TokensService,
  ) {}

  /** A section per workspace where the user manages service accounts, by workspace name. */
  async sections(me: AuthPrincipal): Promise<ServiceAccountSection[]> {
    const { maxTokenLifetimeDays: maxDays } = await this.settings.get();
    const sections: ServiceAccountSection[] = [];
    for (const place of await this.placesOf(me)) {
      if (workspaceRefusal(place.workspace, place.membership, me, SERVICE_ACCOUNT_ACTIONS.list)) {
        continue; // not a manager here: nothing to show
      }
      const createRefusal = workspaceRefusal(
        place.workspace,
        place.membership,
        me,
        SERVICE_ACCOUNT_ACTIONS.create,
      );
      const mintRefusal = workspaceRefusal(
        place.workspace,
        place.membership,
        me,
        SERVICE_ACCOUNT_ACTIONS.mintToken,
      );
      const notes = [createRefusal, mintRefusal].flatMap((refusal) =>
        refusal ? [policySentence(refusal, place.workspace, place.membership)] : [],
      );
      const overview = await this.accounts.overview(me, place);
      const projectIds = overview.flatMap((o) => o.tokens.flatMap((t) => t.project_ids ?? []));
      const names = await this.projectNames(place.workspace.id, projectIds);
      // The mint form offers what the workspace's token policy allows (the server checks anyway).
      const policy = tokenPolicyOf(place.workspace);
      const longest = longestLifetimeDays(policy, maxDays);
      const presets = EXPIRY_PRESETS.filter((d) => d <= longest);
      const preset = presets.includes(30) ? 30 : presets[presets.length - 1];
      sections.push({
        id: place.workspace.id,
        name: place.workspace.name,
        notes: [...new Set(notes)],
        canCreate: !createRefusal,
        canMint: !mintRefusal,
        roles: SERVICE_ACCOUNT_ROLES.map((role) => ({ value: role, label: role })),
        scopes: SCOPES.map((s) => ({
          name: s,
          description: SCOPE_EXPLANATIONS[s],
          checked: s === 'read' && policy.allowedScopes.includes(s),
          disabled: !policy.allowedScopes.includes(s),
        })),
        presets: (presets.length ? presets : [longest]).map((d) => ({
          value: String(d),
          label: `${d} ${d === 1 ? 'day' : 'days'}`,
          selected: d === (preset ?? longest),
        })),
        requireAddresses: policy.requireAllowedCidrs,
        accounts: overview.map(({ account, tokens }) => ({
          id: account.id,
          name: account.name,
          username: account.username,
          role: account.role,
          tokens: tokens.map((t) => tokenRow(t, names)),
        })),
      });
    }
    return sections;
  }

  /** Project identifiers by id, for the restrictions of the tokens shown. */
  private async projectNames(workspaceId: string, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) {
      return new Map();
    }
    const found = await this.projects.find({
      select: { id: true, identifier: true },
      where: { workspaceId, id: In([...new Set(ids)]) },
    });
    return new Map(found.map((p) => [p.id, p.identifier]));
  }

  private async placesOf(me: AuthPrincipal): Promise<WorkspacePlace[]> {
    const memberships = await this.memberships.find({ where: { userId: me.user.id } });
    const workspaces = memberships.length
      ? await this.workspaces.find({ where: { id: In(memberships.map((m) => m.workspaceId)) } })
      : [];
    const byId = new Map(workspaces.map((w) => [w.id, w]));
    return memberships
      .flatMap((membership) => {
        const workspace = byId.get(membership.workspaceId);
        return workspace ? [{ workspace, membership }] : [];
      })
      .sort((a, b) => a.workspace.name.localeCompare(b.workspace.name));
  }

  async create(
    me: AuthPrincipal,
    form: ServiceAccountForm,
    meta: RequestMeta,
  ): Promise<{ account: ServiceAccountResponse; workspaceName: string }> {
    if (!form.name || [...form.name].length > 120) {
      throw new PageError(400, 'Give the service account a name of up to 120 characters.');
    }
    if (!(SERVICE_ACCOUNT_ROLES as readonly string[]).includes(form.role)) {
      throw new PageError(400, 'Choose the role member or admin for the service account.');
    }
    const found = UUID_PATTERN.test(form.workspace)
      ? await this.access.membershipOf(form.workspace, me.user.id)
      : null;
    if (!found) {
      throw new PageError(403, 'Choose one of your workspaces for the service account.');
    }
    const account = await inPageWords(
      this.accounts.create(
        me,
        found,
        { name: form.name, role: form.role as ServiceAccountRole },
        meta,
      ),
      found,
    );
    return { account, workspaceName: found.workspace.name };
  }

  /** A service account in a workspace where the user manages them (else 404). */
  async find(me: AuthPrincipal, id: string): Promise<ManagedServiceAccount> {
    const record = UUID_PATTERN.test(id)
      ? await this.records.findOneBy({ id: id.toLowerCase(), deletedAt: IsNull() })
      : null;
    const place = record ? await this.access.membershipOf(record.workspaceId, me.user.id) : null;
    if (!record || !place) {
      throw new PageError(404, NOT_YOURS);
    }
    if (workspaceRefusal(place.workspace, place.membership, me, SERVICE_ACCOUNT_ACTIONS.list)) {
      throw new PageError(404, NOT_YOURS);
    }
    return { account: await this.accounts.get(me, place, record.id), place };
  }

  async mint(
    me: AuthPrincipal,
    managed: ManagedServiceAccount,
    form: ServiceAccountTokenForm,
    meta: RequestMeta,
  ): Promise<CreatedTokenResponse> {
    if (!form.name || [...form.name].length > 100) {
      throw new PageError(400, 'Give the token a name of up to 100 characters.');
    }
    if (form.scopes.length === 0) {
      throw new PageError(400, 'Choose at least one scope.');
    }
    const { maxTokenLifetimeDays: maxDays } = await this.settings.get();
    const days = Number(form.expiresIn);
    if (!Number.isInteger(days) || days < 1 || days > maxDays) {
      throw new PageError(400, `Choose when the token expires, between 1 and ${maxDays} days.`);
    }
    return inPageWords(
      this.accounts.mintToken(
        me,
        managed.place,
        managed.account.id,
        {
          name: form.name,
          scopes: form.scopes,
          expires_in_days: days,
          // Left out when blank, so that the API's default (the caller's own list) applies.
          ...(form.addresses.length > 0 ? { allowed_cidrs: form.addresses } : {}),
        },
        meta,
      ),
      managed.place,
    );
  }

  /** One of the service account's tokens (else 404). */
  async token(managed: ManagedServiceAccount, tokenId: string): Promise<ApiToken> {
    const token = UUID_PATTERN.test(tokenId)
      ? await this.apiTokens.findOneBy({
          id: tokenId.toLowerCase(),
          userId: managed.account.id,
          workspaceId: managed.place.workspace.id,
        })
      : null;
    if (!token) {
      throw new PageError(404, 'This token does not exist, or it is not this service account’s.');
    }
    return token;
  }

  /** Revokes one of its tokens, like DELETE /api/v1/tokens/:id by a manager. */
  async revokeToken(
    me: AuthPrincipal,
    managed: ManagedServiceAccount,
    token: ApiToken,
    meta: RequestMeta,
  ): Promise<void> {
    await inPageWords(this.tokens.revoke(me, managed.place, token.id, meta), managed.place);
  }

  async delete(
    me: AuthPrincipal,
    managed: ManagedServiceAccount,
    meta: RequestMeta,
  ): Promise<void> {
    await inPageWords(
      this.accounts.delete(me, managed.place, managed.account.id, meta),
      managed.place,
    );
  }
}

export function parseServiceAccountForm(body: FormBody): ServiceAccountForm {
  return {
    workspace: field(body, 'workspace').trim().toLowerCase(),
    name: field(body, 'name').trim(),
    role: field(body, 'role'),
  };
}

export function parseServiceAccountTokenForm(body: FormBody): ServiceAccountTokenForm {
  return {
    name: field(body, 'name').trim(),
    scopes: SCOPES.filter((s) => fieldList(body, 'scopes').includes(s)),
    expiresIn: field(body, 'expires_in'),
    addresses: field(body, 'allowed_cidrs')
      .split(/[\s,]+/)
      .filter((word) => word !== ''),
  };
}
