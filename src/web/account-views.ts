import { pageTemplate } from './templates/template-loader';
import { page, PageContext } from './views';

// The token pages of SPEC §10, from templates/tokens.hbs and templates/confirm.hbs (Handlebars
// escapes every {{value}}); the one-time secret is the partial templates/partials/secret-panel.hbs.

export interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string;
  expires: string;
  expiresIso: string;
  lastUsed: string;
  state: string;
  stateLabel: string;
  /** Addresses and projects the token is restricted to, in a few words. */
  restrictions: string;
  canRotate: boolean;
  /** Expires within 7 days: offered a one-click renewal. */
  canRenew: boolean;
  canRestrict: boolean;
  canRevoke: boolean;
  /** Active, but its workspace's token policy no longer allows it. */
  outsidePolicy: boolean;
}

export interface TokenSection {
  id: string;
  name: string;
  detail: string;
  notes: string[];
  /** The workspace's token policy in words, when it asks anything. */
  policy?: string;
  tokens: TokenRow[];
}

export interface Option {
  value: string;
  label: string;
  selected?: boolean;
}

/** A workspace of the create form, with what its token policy lets a new token have. */
export interface WorkspaceOption extends Option {
  /** Space-separated. */
  allowedScopes: string;
  maxDays: number;
  maxDate: string;
}

export interface ScopeOption {
  name: string;
  description: string;
  checked: boolean;
  /** Not allowed by the selected workspace's token policy. */
  disabled: boolean;
}

export interface CreateForm {
  error?: string;
  name: string;
  workspaces: WorkspaceOption[];
  scopes: ScopeOption[];
  presets: Array<{ value: string; label: string; checked: boolean; disabled: boolean }>;
  customChecked: boolean;
  expiresOn: string;
  addresses: string;
  projects: string;
  minDate: string;
  maxDate: string;
  maxDays: number;
}

export interface NewSecret {
  heading: string;
  secret: string;
  usage: string;
  note?: string;
}

/** A workspace's service accounts on /account/tokens, for those who manage them (SPEC §11.5). */
export interface ServiceAccountSection {
  id: string;
  name: string;
  /** Why something cannot be done here, in words (plan, billing). */
  notes: string[];
  canCreate: boolean;
  canMint: boolean;
  roles: Option[];
  scopes: ScopeOption[];
  presets: Option[];
  /** The workspace's token policy requires an address allow-list on every token. */
  requireAddresses: boolean;
  accounts: Array<{
    id: string;
    name: string;
    username: string;
    role: string;
    tokens: TokenRow[];
  }>;
}

export interface TokensPage {
  flash?: string;
  /** Why the last action failed, as a sentence. */
  problem?: string;
  apiDisabled: boolean;
  sections: TokenSection[];
  form?: CreateForm;
  noWorkspace: boolean;
  serviceAccounts?: ServiceAccountSection[];
}

/** /account/tokens/:id/restrict: a token's name, allowed addresses and projects. */
export interface RestrictPage {
  heading: string;
  facts: Fact[];
  action: string;
  error?: string;
  name: string;
  addresses: string;
  projects: string;
  cancel: string;
}

export interface Fact {
  label: string;
  value: string;
}

export interface ConfirmPage {
  heading: string;
  facts: Fact[];
  warning: string;
  action: string;
  button: string;
  danger: boolean;
  cancel: string;
  choice?: { name: string; label: string; options: Option[] };
}

// What the secret panel shows: a new token, or a new OAuth client's secret with its client id.
export type SecretPanel = NewSecret & { label: string; extra?: Fact[]; lost?: string };

const SECRET = pageTemplate('partials/secret-panel');
const TOKENS = pageTemplate('tokens');
const CONFIRM = pageTemplate('confirm');
const RESTRICT = pageTemplate('token-restrict');

export const AccountViews = {
  tokens: (ctx: PageContext, data: TokensPage, secret?: NewSecret): string =>
    page(
      ctx,
      TOKENS({
        ...data,
        csrf: ctx.csrf,
        secret: secret ? ({ ...secret, label: 'Token' } satisfies SecretPanel) : undefined,
      }),
    ),
  confirm: (ctx: PageContext, data: ConfirmPage): string =>
    page(ctx, CONFIRM({ ...data, csrf: ctx.csrf })),
  restrict: (ctx: PageContext, data: RestrictPage): string =>
    page(ctx, RESTRICT({ ...data, csrf: ctx.csrf })),
};

/** The one-time display of a new secret (token or client secret), with its copy button. */
export function secretPanel(data: SecretPanel): string {
  return SECRET(data);
}
