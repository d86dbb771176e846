import { SecretPanel } from './account-views';
import { pageTemplate } from './templates/template-loader';
import { page, PageContext } from './views';

// The instance administrators' pages (SPEC §8, §9): settings, OAuth applications, the
// legacy-auth report and every token, from templates/admin-*.hbs. Handlebars escapes every
// {{value}}.

export interface SettingsPage {
  flash?: string;
  error?: string;
  switches: Array<{ name: string; label: string; hint: string; checked: boolean }>;
  sunset: string;
  maxDays: string;
  updatedAt: string;
}

export interface ApplicationRow {
  id: string;
  name: string;
  clientId: string;
  kind: string;
  redirectUris: string[];
  scopes: string;
  created: string;
}

export interface ApplicationsPage {
  flash?: string;
  error?: string;
  apps: ApplicationRow[];
  form: {
    name: string;
    redirectUris: string;
    scopes: Array<{ name: string; description: string; checked: boolean }>;
    confidential: boolean;
  };
}

export interface LegacyRow {
  username: string;
  count: number;
  first: string;
  last: string;
  ip: string;
  userAgent: string;
}

export interface AdminTokenView {
  id: string;
  name: string;
  prefix: string;
  owner: string;
  workspace: string;
  scopes: string;
  expires: string;
  lastUsed: string;
  state: string;
  stateLabel: string;
  canRevoke: boolean;
  /** Active, but its workspace's token policy no longer allows it. */
  outsidePolicy: boolean;
}

export interface AdminTokensPage {
  flash?: string;
  tokens: AdminTokenView[];
  states: Array<{ value: string; label: string; selected: boolean }>;
  filters: { owner: string; workspace: string; idleDays: string; expiringWithinDays: string };
  summary: string;
  previous?: string;
  next?: string;
}

const HOME = pageTemplate('admin-home');
const SETTINGS = pageTemplate('admin-settings');
const APPLICATIONS = pageTemplate('admin-applications');
const LEGACY = pageTemplate('admin-legacy');
const TOKENS = pageTemplate('admin-tokens');

export const AdminViews = {
  home: (ctx: PageContext): string => page(ctx, HOME({})),
  settings: (ctx: PageContext, data: SettingsPage): string =>
    page(ctx, SETTINGS({ ...data, csrf: ctx.csrf })),
  applications: (
    ctx: PageContext,
    data: ApplicationsPage,
    created?: { name: string; clientId: string; secret: string | null },
  ): string =>
    page(
      ctx,
      APPLICATIONS({
        ...data,
        csrf: ctx.csrf,
        ...(created ? createdApplication(created) : {}),
      }),
    ),
  legacy: (ctx: PageContext, rows: LegacyRow[]): string => page(ctx, LEGACY({ rows })),
  tokens: (ctx: PageContext, data: AdminTokensPage): string => page(ctx, TOKENS(data)),
};

interface CreatedApplication {
  name: string;
  clientId: string;
  secret: string | null;
}

// A confidential client's secret is shown once, like a token; a public client has none.
function createdApplication(created: CreatedApplication): {
  secret?: SecretPanel;
  publicClient?: CreatedApplication;
} {
  if (!created.secret) {
    return { publicClient: created };
  }
  return {
    secret: {
      heading: `${created.name} is registered: its client secret`,
      label: 'Client secret',
      secret: created.secret,
      usage: 'The application authenticates at /oauth/token with its client id and this secret.',
      extra: [{ label: 'Client id', value: created.clientId }],
      lost: 'If you lose it, delete the application and register it again.',
    },
  };
}
