import { tokenStateLabel } from './token-words';
import type { AdminTokenFilters } from './admin-pages.service';
import { SCOPES } from '../auth/auth-types';
import { OAuthApplication } from '../oauth/entities/oauth-application.entity';
import { InstanceSettings } from '../settings/entities/instance-settings.entity';
import { SCOPE_EXPLANATIONS } from './account-tokens.service';
import { ApplicationForm, SettingsForm } from './admin-forms';
import { ADMIN_TOKENS_PER_PAGE, AdminTokenRow } from './admin-pages.service';
import { AdminTokensPage, AdminTokenView, ApplicationsPage, SettingsPage } from './admin-views';
import { formatTime } from './web-forms';

// What the admin pages' templates show, built from the services' answers (no I/O here).

export interface Notice {
  flash?: string;
  error?: string;
}

export interface CreatedApplicationView {
  name: string;
  clientId: string;
  secret: string | null;
}

const SWITCHES: Array<{ name: string; key: keyof SettingsForm; label: string; hint: string }> = [
  {
    name: 'rest_api_enabled',
    key: 'restApiEnabled',
    label: 'REST API on',
    hint: 'Off: every /api/v1 call gets 403 api_disabled, except an admin’s password on the settings route.',
  },
  {
    name: 'allow_query_key',
    key: 'allowQueryKey',
    label: 'Accept ?key=<token>',
    hint: 'Tokens in URLs end up in logs and browser history; prefer headers.',
  },
  {
    name: 'allow_basic_password',
    key: 'allowBasicPassword',
    label: 'Accept HTTP Basic username:password',
    hint: 'Account passwords on the API (refused for users with two-factor authentication).',
  },
  {
    name: 'legacy_auth_enabled',
    key: 'legacyAuthEnabled',
    label: 'Accept legacy API passwords',
    hint: 'X-AUTH-USER and X-AUTH-TOKEN headers; every use is in the report.',
  },
];

export function settingsPage(
  current: InstanceSettings,
  form: SettingsForm,
  notice: Notice,
): SettingsPage {
  return {
    ...notice,
    switches: SWITCHES.map(({ name, key, label, hint }) => ({
      name,
      label,
      hint,
      checked: form[key] === true,
    })),
    sunset: form.legacyAuthSunsetAt,
    maxDays: form.maxTokenLifetimeDays,
    updatedAt: formatTime(current.updatedAt),
  };
}

export function applicationsPage(
  apps: OAuthApplication[],
  form: ApplicationForm,
  notice: Notice,
): ApplicationsPage {
  return {
    flash: notice.flash,
    error: notice.error,
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
  };
}

export function tokensPage(
  result: { rows: AdminTokenRow[]; total: number; filters: AdminTokenFilters },
  pageNumber: number,
  flash: string | undefined,
): AdminTokensPage {
  const { filters } = result;
  const query = new URLSearchParams({
    state: filters.state,
    owner: filters.owner,
    workspace: filters.workspace,
    idle_days: filters.idleDays,
    expiring_within_days: filters.expiringWithinDays,
  });
  const link = (n: number): string => `/admin/tokens?${query.toString()}&page=${n}`;
  const first = (pageNumber - 1) * ADMIN_TOKENS_PER_PAGE;
  return {
    flash,
    tokens: result.rows.map(adminTokenView),
    filters,
    states: (['all', 'active', 'expired', 'revoked'] as const).map((value) => ({
      // The filter's own words: the state alone, without a token's reason.
      value,
      label: {
        all: 'All tokens',
        active: 'Active tokens',
        expired: 'Expired tokens',
        revoked: 'Revoked tokens',
      }[value],
      selected: value === filters.state,
    })),
    summary: result.total
      ? `${first + 1}–${first + result.rows.length} of ${result.total} tokens, newest first.`
      : 'No tokens.',
    previous: pageNumber > 1 ? link(pageNumber - 1) : undefined,
    next: first + result.rows.length < result.total ? link(pageNumber + 1) : undefined,
  };
}

export function adminTokenView(row: AdminTokenRow): AdminTokenView {
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
    stateLabel: tokenStateLabel(t),
    canRevoke: t.state === 'active',
    outsidePolicy: t.state === 'active' && !t.policy_compliant,
  };
}
