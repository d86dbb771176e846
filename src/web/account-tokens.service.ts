import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { AuthPrincipal, Scope, SCOPES } from '../auth/auth-types';
import { Plan } from '../workspaces/roles-and-plans';
import {
  PolicyRefusal,
  longestLifetimeDays,
  TOKEN_ACTIONS,
  TokenPolicy,
  tokenPolicyClause,
  tokenPolicyOf,
  TokenPolicyViolation,
  workspaceRefusal,
} from '../workspaces/workspace-policy';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { CreatedTokenResponse, TokenResponse } from '../tokens/dto/token.dto';
import { ApiToken } from '../tokens/entities/api-token.entity';
import { Project } from '../projects/entities/project.entity';
import { TokenUsageRecorder } from '../tokens/token-usage.recorder';
import { TokenScope, TokensService } from '../tokens/tokens.service';
import { SettingsService } from '../settings/settings.service';
import { Membership } from '../workspaces/entities/membership.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { WorkspaceAccessService } from '../workspaces/workspace-access.service';
import { tokenStateLabel } from './token-words';
import { CreateForm, TokenRow, TokenSection, TokensPage } from './account-views';
import {
  field,
  fieldList,
  FormBody,
  formatDate,
  formatTime,
  PageError,
  UUID_PATTERN,
} from './web-forms';

const DAY_MS = 86_400_000;
export const EXPIRY_PRESETS = [7, 30, 90, 365];
const DEFAULT_PRESET = 30;
/** The workspace select's value for instance tokens (instance admins only, SPEC §5). */
export const INSTANCE = 'instance';

export const SCOPE_EXPLANATIONS: Record<Scope, string> = {
  read: 'Read: GET requests, to see projects, issues and tokens.',
  write: 'Write: POST, PUT and PATCH, to create and change projects, issues and tokens.',
  delete: 'Delete: DELETE requests, to delete projects and issues and revoke tokens.',
  admin: 'Admin: everything your role allows, and instance administration if you are an admin.',
};

const PLAN_NAMES: Record<Plan, string> = {
  free: 'Free',
  solo_pro: 'Solo Pro',
  pro: 'Pro',
  team: 'Team',
  business: 'Business',
  enterprise: 'Enterprise',
};

export interface TokenForm {
  name: string;
  workspace: string;
  scopes: Scope[];
  expiresIn: string;
  expiresOn: string;
  /** Allowed addresses as typed: one per line, or separated by commas or spaces. */
  addresses: string;
  /** Project identifiers as typed, separated by commas or spaces; empty: every project. */
  projects: string;
}

/** The restriction form of one token (/account/tokens/:id/restrict). */
export interface RestrictForm {
  name: string;
  addresses: string;
  projects: string;
}

/** A token of the signed-in user, with where it lives (for the confirm pages). */
export interface OwnToken {
  token: ApiToken;
  where: TokenScope;
  workspaceName: string;
}

/**
 * What /account/tokens shows and does, for a session user. Creating and rotating go through
 * TokensService (plan limits, roles, expiry rules, audit); the checks the API's guards make
 * before it — plan with API access, billing not read-only — are made here, in the same order.
 */
@Injectable()
export class AccountTokensService {
  constructor(
    private readonly tokens: TokensService,
    private readonly usage: TokenUsageRecorder,
    private readonly settings: SettingsService,
    private readonly access: WorkspaceAccessService,
    @InjectRepository(Membership) private readonly memberships: Repository<Membership>,
    @InjectRepository(Workspace) private readonly workspaces: Repository<Workspace>,
    @InjectRepository(ApiToken) private readonly apiTokens: Repository<ApiToken>,
    @InjectRepository(Project) private readonly projects: Repository<Project>,
  ) {}

  async page(
    me: AuthPrincipal,
    form: Partial<TokenForm> = {},
    error?: string,
  ): Promise<TokensPage> {
    const settings = await this.settings.get();
    await this.usage.flush(); // "last used" as of now, not as of the recorder's next write
    const places = await this.placesOf(me);
    const maxDays = settings.maxTokenLifetimeDays;
    const sections: TokenSection[] = [];
    for (const place of places) {
      const list = await this.tokens.list(me, place.where, { state: 'all', limit: 100 });
      const names = await this.projectNames(
        place.workspace?.id ?? null,
        list.data.flatMap((t) => t.project_ids ?? []),
      );
      const expiring = list.data.filter((t) => t.expires_soon && !t.revoked_at);
      sections.push({
        id: place.value,
        name: place.name,
        detail: place.detail,
        notes: [
          ...place.notes,
          ...expiring.map(
            (t) =>
              `Your token “${t.name}” (${t.token_prefix}…) expires on ${formatTime(t.expires_at)}. ` +
              'Renew it to get a new token with a new expiry; the old one keeps working for up to a day.',
          ),
        ],
        policy: place.policy ? policyWords(place.name, place.policy, maxDays) : undefined,
        tokens: list.data.map((t) => tokenRow(t, names)),
      });
    }
    return {
      apiDisabled: !settings.restApiEnabled,
      sections,
      noWorkspace: places.length === 0,
      form: places.length ? createForm(places, form, maxDays, error) : undefined,
    };
  }

  async create(
    me: AuthPrincipal,
    form: TokenForm,
    meta: RequestMeta,
  ): Promise<{ created: CreatedTokenResponse; workspaceName: string }> {
    if (!form.name || form.name.length > 100) {
      throw new PageError(400, 'Give the token a name of up to 100 characters.');
    }
    if (form.scopes.length === 0) {
      throw new PageError(400, 'Choose at least one scope.');
    }
    const { maxTokenLifetimeDays: maxDays } = await this.settings.get();
    const days = expiryDays(form, maxDays);
    const place = await this.placeFor(me, form.workspace);
    const restrictions = await this.restrictionsOf(place.workspace?.id ?? null, form);
    const created = await inPageWords(
      this.tokens.create(
        me,
        place.where,
        {
          name: form.name,
          scopes: form.scopes,
          expires_in_days: days,
          // Left out when blank, so that the defaults of the API apply.
          ...(restrictions.allowed_cidrs ? { allowed_cidrs: restrictions.allowed_cidrs } : {}),
          ...(restrictions.project_ids ? { project_ids: restrictions.project_ids } : {}),
        },
        meta,
      ),
      place.where,
    );
    return { created, workspaceName: place.name };
  }

  /** One of the user's own tokens, in a workspace they still belong to (else 404). */
  async own(me: AuthPrincipal, id: string): Promise<OwnToken> {
    const token = UUID_PATTERN.test(id)
      ? await this.apiTokens.findOneBy({ id: id.toLowerCase(), userId: me.user.id })
      : null;
    if (!token) {
      throw new PageError(404, 'This token does not exist, or it is not yours.');
    }
    if (token.workspaceId === null) {
      if (!me.user.isAdmin) {
        throw new PageError(404, 'This token does not exist, or it is not yours.');
      }
      return { token, where: {}, workspaceName: 'Instance (no workspace)' };
    }
    const found = await this.access.membershipOf(token.workspaceId, me.user.id);
    if (!found) {
      throw new PageError(404, 'This token does not exist, or it is not yours.');
    }
    return { token, where: found, workspaceName: found.workspace.name };
  }

  /** The restriction form's current values for one of the user's tokens. */
  async restrictForm(own: OwnToken): Promise<RestrictForm> {
    const { token } = own;
    const names = await this.projectNames(token.workspaceId, token.projectIds ?? []);
    return {
      name: token.name,
      addresses: (token.allowedCidrs ?? []).join('\n'),
      projects: (token.projectIds ?? []).map((id) => names.get(id) ?? id).join(', '),
    };
  }

  /**
   * Changes a token's name and restrictions through TokensService.update (PATCH): blank
   * addresses or projects lift that restriction.
   */
  async restrict(
    me: AuthPrincipal,
    own: OwnToken,
    form: RestrictForm,
    meta: RequestMeta,
  ): Promise<TokenResponse> {
    if (!form.name || form.name.length > 100) {
      throw new PageError(400, 'Give the token a name of up to 100 characters.');
    }
    const restrictions = await this.restrictionsOf(own.token.workspaceId, form);
    return inPageWords(
      this.tokens.update(me, own.where, own.token.id, { name: form.name, ...restrictions }, meta),
      own.where,
    );
  }

  /** The typed addresses and project identifiers as the API's fields (null when blank). */
  private async restrictionsOf(
    workspaceId: string | null,
    form: { addresses: string; projects: string },
  ): Promise<{ allowed_cidrs: string[] | null; project_ids: string[] | null }> {
    const addresses = words(form.addresses);
    const identifiers = words(form.projects);
    if (identifiers.length > 0 && workspaceId === null) {
      throw new PageError(400, 'An instance token belongs to no workspace: it has no projects.');
    }
    let projectIds: string[] | null = null;
    if (identifiers.length > 0 && workspaceId !== null) {
      const found = await this.projects.find({
        select: { id: true, identifier: true },
        where: { workspaceId, identifier: In(identifiers) },
      });
      const byIdentifier = new Map(found.map((p) => [p.identifier, p.id]));
      const unknown = identifiers.filter((i) => !byIdentifier.has(i));
      if (unknown.length > 0) {
        throw new PageError(
          400,
          `No project with the identifier ${unknown.map((i) => `“${i}”`).join(', ')} in this workspace.`,
        );
      }
      projectIds = identifiers.map((i) => byIdentifier.get(i) as string);
    }
    return { allowed_cidrs: addresses.length > 0 ? addresses : null, project_ids: projectIds };
  }

  /** Identifiers of a workspace's projects by id (for showing a token's projects). */
  private async projectNames(
    workspaceId: string | null,
    ids: readonly string[],
  ): Promise<Map<string, string>> {
    if (workspaceId === null || ids.length === 0) {
      return new Map();
    }
    const found = await this.projects.find({
      select: { id: true, identifier: true },
      where: { workspaceId, id: In([...ids]) },
    });
    return new Map(found.map((p) => [p.id, p.identifier]));
  }

  /** The workspace policy allows revoking on every plan and billing state (SPEC §6). */
  async revoke(me: AuthPrincipal, own: OwnToken, meta: RequestMeta): Promise<void> {
    await inPageWords(this.tokens.revoke(me, own.where, own.token.id, meta), own.where);
  }

  async rotate(
    me: AuthPrincipal,
    own: OwnToken,
    graceSeconds: number,
    meta: RequestMeta,
  ): Promise<CreatedTokenResponse> {
    return inPageWords(
      this.tokens.rotate(me, own.where, own.token.id, { grace_seconds: graceSeconds }, meta),
      own.where,
    );
  }

  /**
   * One-click renewal of a token that expires soon (SPEC §11.4): a rotation whose replacement
   * lives as long as the token did (whole days; at most what the instance and the workspace's
   * token policy allow), the old token working on for a day, or until it expires if sooner.
   */
  async renew(
    me: AuthPrincipal,
    own: OwnToken,
    meta: RequestMeta,
  ): Promise<{ created: CreatedTokenResponse; graceSeconds: number }> {
    const { token } = own;
    const { maxTokenLifetimeDays } = await this.settings.get();
    const policyMax = own.where.workspace?.tokenMaxLifetimeDays ?? null;
    const lived = Math.round((token.expiresAt.getTime() - token.createdAt.getTime()) / DAY_MS);
    const days = Math.max(
      1,
      Math.min(lived, maxTokenLifetimeDays, policyMax ?? maxTokenLifetimeDays),
    );
    const left = Math.floor((token.expiresAt.getTime() - Date.now()) / 1000);
    const graceSeconds = Math.max(0, Math.min(86_400, left));
    const created = await inPageWords(
      this.tokens.rotate(
        me,
        own.where,
        token.id,
        { grace_seconds: graceSeconds, expires_in_days: days },
        meta,
      ),
      own.where,
    );
    return { created, graceSeconds };
  }

  /** The user's workspaces (by name), plus instance level for instance admins. */
  private async placesOf(me: AuthPrincipal): Promise<Place[]> {
    const memberships = await this.memberships.find({ where: { userId: me.user.id } });
    const workspaces = memberships.length
      ? await this.workspaces.find({ where: { id: In(memberships.map((m) => m.workspaceId)) } })
      : [];
    const byId = new Map(workspaces.map((w) => [w.id, w]));
    const places = memberships
      .flatMap((membership) => {
        const workspace = byId.get(membership.workspaceId);
        return workspace ? [workspacePlace(me, workspace, membership)] : [];
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    if (me.user.isAdmin) {
      places.push(instancePlace());
    }
    return places;
  }

  private async placeFor(me: AuthPrincipal, value: string): Promise<Place> {
    if (value === INSTANCE && me.user.isAdmin) {
      return instancePlace();
    }
    const found = value ? await this.access.membershipOf(value, me.user.id) : null;
    if (!found) {
      throw new PageError(403, 'Choose one of your workspaces for the token.');
    }
    return workspacePlace(me, found.workspace, found.membership);
  }
}

interface Place {
  value: string;
  name: string;
  detail: string;
  notes: string[];
  where: TokenScope;
  workspace?: Workspace;
  /** The workspace's token policy; none at instance level. */
  policy?: TokenPolicy;
}

function workspacePlace(me: AuthPrincipal, workspace: Workspace, membership: Membership): Place {
  // What the workspace policy would say to a new token here, said before the user tries.
  const refusal = workspaceRefusal(workspace, membership, me, TOKEN_ACTIONS.create);
  return {
    value: workspace.id,
    name: workspace.name,
    detail: `${PLAN_NAMES[workspace.plan]} plan · your role: ${membership.role}`,
    notes: refusal ? [policySentence(refusal, workspace, membership)] : [],
    where: { workspace, membership },
    workspace,
    policy: tokenPolicyOf(workspace),
  };
}

function instancePlace(): Place {
  return {
    value: INSTANCE,
    name: 'Instance (no workspace)',
    detail: 'instance administrators’ automation',
    notes: [],
    where: {},
  };
}

/**
 * The page's words for a workspace policy refusal (the one mapping from its codes to sentences);
 * refusals without a sentence of their own keep the API's message.
 */
export function policySentence(
  refusal: PolicyRefusal,
  workspace: Workspace,
  membership: Membership,
): string {
  const name = `“${workspace.name}”`;
  switch (refusal.rule) {
    case 'plan':
      return (
        `The ${PLAN_NAMES[workspace.plan]} plan of ${name} has no API access, so it cannot have ` +
        'API tokens. A workspace owner can upgrade it to Pro or higher.'
      );
    case 'api_use':
      return (
        `Your role in ${name} is ${membership.role}, which does not include API access. Ask a ` +
        'workspace owner or admin to make you a member.'
      );
    case 'billing':
      return (
        `${name} is read-only until its billing is settled, so no tokens can be created or ` +
        'rotated in it. You can still revoke tokens.'
      );
    case 'token_policy':
      return refusal.violation ? violationSentence(workspace, refusal.violation) : refusal.message;
    case 'scope':
    case 'role':
      return refusal.message;
  }
}

/** A token policy refusal, for creating and rotating alike. */
function violationSentence(workspace: Workspace, violation: TokenPolicyViolation): string {
  const start = `The token policy of “${workspace.name}”`;
  switch (violation.rule) {
    case 'allowed_scopes':
      return `${start} ${tokenPolicyClause(violation)}, not ${violation.outside.join(', ')}.`;
    case 'max_lifetime_days':
      return `${start} ${tokenPolicyClause(violation)} from their creation: choose an earlier expiry.`;
    case 'require_allowed_cidrs':
      return `${start} requires every token to be limited to a list of allowed addresses.`;
  }
}

/**
 * What a workspace's token policy asks, in words (a lifetime capped by the instance maximum as it
 * binds); nothing when it asks nothing.
 */
function policyWords(name: string, policy: TokenPolicy, maxDays: number): string | undefined {
  const rules: string[] = [];
  if (policy.maxLifetimeDays !== null) {
    const days = longestLifetimeDays(policy, maxDays);
    rules.push(`tokens live at most ${days} ${days === 1 ? 'day' : 'days'}`);
  }
  if (SCOPES.some((s) => !policy.allowedScopes.includes(s))) {
    rules.push(`only the scopes ${policy.allowedScopes.join(', ')} are allowed`);
  }
  if (policy.requireAllowedCidrs) {
    rules.push('every token must be limited to a list of allowed addresses');
  }
  if (rules.length === 0) {
    return undefined;
  }
  return (
    `Token policy of “${name}”: ${rules.join('; ')}. ` +
    'Tokens that do not meet it no longer work.'
  );
}

/** Runs a token action; a workspace policy refusal comes back as a page error in words. */
export async function inPageWords<T>(action: Promise<T>, where: TokenScope): Promise<T> {
  try {
    return await action;
  } catch (error) {
    if (error instanceof PolicyRefusal && where.workspace && where.membership) {
      throw new PageError(error.status, policySentence(error, where.workspace, where.membership));
    }
    throw error;
  }
}

/** The form's expiry as whole days from now: a preset, or a date (UTC) 1–max days ahead. */
export function expiryDays(
  form: Pick<TokenForm, 'expiresIn' | 'expiresOn'>,
  maxDays: number,
): number {
  const range = `between 1 and ${maxDays} days from now`;
  if (form.expiresIn === 'custom') {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(form.expiresOn);
    if (!match) {
      throw new PageError(400, `Pick the expiry date, ${range}.`);
    }
    const chosen = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    const now = new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const days = Math.round((chosen - today) / DAY_MS);
    if (Number.isNaN(days) || days < 1 || days > maxDays) {
      throw new PageError(400, `The expiry date must be ${range}.`);
    }
    return days;
  }
  const days = Number(form.expiresIn);
  if (!Number.isInteger(days) || days < 1 || days > maxDays) {
    throw new PageError(400, `Choose when the token expires, ${range}.`);
  }
  return days;
}

/** The create form's fields as typed; checked by AccountTokensService.create. */
export function parseTokenForm(body: FormBody): TokenForm {
  return {
    name: field(body, 'name').trim(),
    workspace: field(body, 'workspace').trim().toLowerCase(),
    scopes: SCOPES.filter((s) => fieldList(body, 'scopes').includes(s)),
    expiresIn: field(body, 'expires_in'),
    expiresOn: field(body, 'expires_on').trim(),
    addresses: field(body, 'allowed_cidrs'),
    projects: field(body, 'projects'),
  };
}

/** The restriction form's fields as typed. */
export function parseRestrictForm(body: FormBody): RestrictForm {
  return {
    name: field(body, 'name').trim(),
    addresses: field(body, 'allowed_cidrs'),
    projects: field(body, 'projects'),
  };
}

/** Words of a free-text list: separated by commas, spaces or new lines. */
function words(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((w) => w.trim())
    .filter(Boolean);
}

/** A token's restrictions in a few words for its row. */
function restrictionsText(t: TokenResponse, names: Map<string, string>): string {
  const parts: string[] = [];
  if (t.allowed_cidrs) {
    parts.push(`From ${t.allowed_cidrs.join(', ')}`);
  }
  if (t.project_ids) {
    parts.push(
      t.project_ids.length === 0
        ? 'No project'
        : `Projects ${t.project_ids.map((id) => names.get(id) ?? 'deleted').join(', ')}`,
    );
  }
  if (t.quota) {
    parts.push(
      `Quota ${(t.quota_used ?? 0).toLocaleString('en')} of ${t.quota.limit.toLocaleString('en')} requests this ${t.quota.period} (UTC)`,
    );
  }
  return parts.length > 0 ? parts.join(' · ') : 'None';
}

export function tokenRow(t: TokenResponse, names: Map<string, string>): TokenRow {
  const now = Date.now();
  const graceUntil =
    t.state === 'active' && t.revoked_at && new Date(t.revoked_at).getTime() > now
      ? t.revoked_at
      : null;
  return {
    id: t.id,
    name: t.name,
    prefix: t.token_prefix,
    scopes: t.scopes.join(', '),
    expires: formatTime(t.expires_at),
    expiresIso: t.expires_at,
    lastUsed: t.last_used_at
      ? `${formatTime(t.last_used_at)}${t.last_used_ip ? ` from ${t.last_used_ip}` : ''}`
      : 'Never',
    state: t.state,
    stateLabel: tokenStateLabel(t, now),
    restrictions: restrictionsText(t, names),
    canRotate: t.state === 'active' && !graceUntil,
    canRenew: t.state === 'active' && !graceUntil && t.expires_soon,
    canRestrict: t.state === 'active',
    canRevoke: t.state === 'active',
    // Only a working token's compliance matters: the API refuses it until it is replaced.
    outsidePolicy: t.state === 'active' && !t.policy_compliant,
  };
}

function createForm(
  places: Place[],
  form: Partial<TokenForm>,
  maxDays: number,
  error?: string,
): CreateForm {
  const now = Date.now();
  const presets = EXPIRY_PRESETS.filter((d) => d <= maxDays);
  // A workspace where tokens can be made comes first in the select, unless one was chosen.
  const selected = form.workspace ?? places.find((p) => p.notes.length === 0 && p.workspace)?.value;
  // The form offers what the selected workspace's token policy allows (tessera.js follows the
  // select); the server refuses the rest anyway.
  const place = places.find((p) => p.value === selected) ?? places[0];
  const limits = formLimits(place, maxDays);
  const custom = form.expiresIn === 'custom';
  const allowedPresets = presets.filter((d) => d <= limits.maxDays);
  const chosen = custom
    ? null
    : allowedPresets.includes(Number(form.expiresIn))
      ? Number(form.expiresIn)
      : allowedPresets.includes(DEFAULT_PRESET)
        ? DEFAULT_PRESET
        : (allowedPresets[allowedPresets.length - 1] ?? null);
  return {
    error,
    name: form.name ?? '',
    workspaces: places.map((p) => {
      const own = formLimits(p, maxDays);
      return {
        value: p.value,
        label: p.notes.length ? `${p.name} (no new tokens possible)` : p.name,
        selected: p.value === selected,
        allowedScopes: own.scopes.join(' '),
        maxDays: own.maxDays,
        maxDate: formatDate(new Date(now + own.maxDays * DAY_MS)),
      };
    }),
    scopes: SCOPES.map((s) => {
      const allowed = limits.scopes.includes(s);
      return {
        name: s,
        description: SCOPE_EXPLANATIONS[s],
        checked: allowed && (form.scopes ? form.scopes.includes(s) : s === 'read'),
        disabled: !allowed,
      };
    }),
    presets: presets.map((d) => ({
      value: String(d),
      label: `${d} days (until ${formatDate(new Date(now + d * DAY_MS))})`,
      checked: d === chosen,
      disabled: d > limits.maxDays,
    })),
    customChecked: custom || chosen === null,
    expiresOn: form.expiresOn ?? '',
    addresses: form.addresses ?? '',
    projects: form.projects ?? '',
    minDate: formatDate(new Date(now + DAY_MS)),
    maxDate: formatDate(new Date(now + limits.maxDays * DAY_MS)),
    maxDays: limits.maxDays,
  };
}

/** What a new token in this place may have: the instance maximum, narrowed by the policy. */
function formLimits(
  place: Place | undefined,
  instanceMaxDays: number,
): { scopes: readonly Scope[]; maxDays: number } {
  const policy = place?.policy;
  return {
    scopes: policy ? policy.allowedScopes : SCOPES,
    maxDays: longestLifetimeDays(policy ?? null, instanceMaxDays),
  };
}
