import Handlebars from 'handlebars';
import { page, PageContext } from './views';

// The token pages of SPEC §10 (Handlebars escapes every {{value}}; {{{html}}} only takes
// fragments these templates rendered themselves).

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
  canRotate: boolean;
  canRevoke: boolean;
}

export interface TokenSection {
  id: string;
  name: string;
  detail: string;
  notes: string[];
  tokens: TokenRow[];
}

export interface Option {
  value: string;
  label: string;
  selected?: boolean;
}

export interface ScopeOption {
  name: string;
  description: string;
  checked: boolean;
}

export interface CreateForm {
  error?: string;
  name: string;
  workspaces: Option[];
  scopes: ScopeOption[];
  presets: Array<{ value: string; label: string; checked: boolean }>;
  customChecked: boolean;
  expiresOn: string;
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

export interface TokensPage {
  flash?: string;
  /** Why the last action failed, as a sentence. */
  problem?: string;
  apiDisabled: boolean;
  sections: TokenSection[];
  form?: CreateForm;
  noWorkspace: boolean;
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

const SECRET = Handlebars.compile(`<section class="card secret" aria-labelledby="secret-heading">
<h2 id="secret-heading">{{heading}}</h2>
<p class="warning" role="alert"><strong>Copy it now: you will not see it again.</strong> Tessera keeps only a hash of it. {{#if lost}}{{lost}}{{else}}If you lose it, revoke it and create a new one.{{/if}}</p>
<label for="new-secret">{{label}}</label>
<div class="copy-row"><input id="new-secret" class="mono" readonly value="{{secret}}" autocomplete="off" spellcheck="false"><button type="button" data-copy-target="new-secret" hidden>Copy</button></div>
<p class="hint" data-copy-status="new-secret" role="status" aria-live="polite"></p>
{{#if usage}}<p class="hint">{{usage}}</p>{{/if}}
{{#if note}}<p>{{note}}</p>{{/if}}
{{#each extra}}<dl class="facts"><dt>{{label}}</dt><dd><code>{{value}}</code></dd></dl>{{/each}}
</section>`);

const TOKENS =
  Handlebars.compile(`{{#if flash}}<p class="notice card" role="status">{{flash}}</p>{{/if}}
{{#if problem}}<p class="error card" role="alert" id="page-error">{{problem}}</p>{{/if}}
{{{secret}}}
<section class="card" aria-labelledby="tokens-heading">
<h1 id="tokens-heading">API tokens</h1>
<p class="hint">Scripts and integrations call the Tessera API with a token, as you, within the token's scopes and your role in its workspace. Send it as <code>Authorization: Bearer …</code> with the workspace id in <code>X-Workspace-Id</code>.</p>
{{#if apiDisabled}}<p class="notice warn">The REST API is switched off on this server: tokens will not work until an administrator switches it on again.</p>{{/if}}
{{#if noWorkspace}}<p class="empty">You are not a member of any workspace yet. Ask a workspace owner to add you; then you can create tokens here.</p>{{/if}}
{{#each sections}}
<h2 id="ws-{{id}}">{{name}} <span class="hint">{{detail}}</span></h2>
{{#each notes}}<p class="notice warn">{{this}}</p>{{/each}}
{{#if tokens.length}}
<div class="table-wrap"><table class="stack" aria-labelledby="ws-{{id}}">
<thead><tr><th scope="col">Name</th><th scope="col">Token</th><th scope="col">Scopes</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>
{{#each tokens}}<tr data-token-id="{{id}}">
<td data-label="Name">{{name}}</td>
<td data-label="Token"><code>{{prefix}}…</code></td>
<td data-label="Scopes">{{scopes}}</td>
<td data-label="Expires"><time datetime="{{expiresIso}}">{{expires}}</time></td>
<td data-label="Last used">{{lastUsed}}</td>
<td data-label="State"><span class="state state-{{state}}">{{stateLabel}}</span></td>
<td data-label="Actions"><div class="row-actions">
{{#if canRotate}}<form method="get" action="/account/tokens/{{id}}/rotate"><button type="submit" class="small secondary" aria-label="Rotate token {{name}}">Rotate</button></form>{{/if}}
{{#if canRevoke}}<form method="get" action="/account/tokens/{{id}}/revoke"><button type="submit" class="small danger" aria-label="Revoke token {{name}}">Revoke</button></form>{{/if}}
</div></td>
</tr>{{/each}}
</tbody></table></div>
{{else}}<p class="empty">No tokens here yet.</p>{{/if}}
{{/each}}
</section>
{{#if form}}{{#with form}}
<section class="card" aria-labelledby="create-heading" id="create">
<h2 id="create-heading">Create a token</h2>
{{#if error}}<p class="error" role="alert" id="create-error">{{error}}</p>{{/if}}
<form method="post" action="/account/tokens">
<input type="hidden" name="_csrf" value="{{../csrf}}">
<label for="token-name">Name</label>
<input id="token-name" name="name" maxlength="100" required value="{{name}}" aria-describedby="token-name-hint">
<p class="hint" id="token-name-hint">What will use it, for example “CI deploy bot”.</p>
<label for="token-workspace">Workspace</label>
<select id="token-workspace" name="workspace" required>{{#each workspaces}}<option value="{{value}}"{{#if selected}} selected{{/if}}>{{label}}</option>{{/each}}</select>
<fieldset><legend>Scopes</legend>
{{#each scopes}}<div class="check"><input type="checkbox" id="scope-{{name}}" name="scopes" value="{{name}}"{{#if checked}} checked{{/if}} aria-describedby="scope-{{name}}-hint"><label for="scope-{{name}}">{{name}}</label><p class="hint" id="scope-{{name}}-hint">{{description}}</p></div>
{{/each}}</fieldset>
<fieldset><legend>Expires</legend>
{{#each presets}}<div class="check"><input type="radio" id="expires-{{value}}" name="expires_in" value="{{value}}"{{#if checked}} checked{{/if}}><label for="expires-{{value}}">{{label}}</label></div>
{{/each}}<div class="check"><input type="radio" id="expires-custom" name="expires_in" value="custom"{{#if customChecked}} checked{{/if}}><label for="expires-custom">On a date of your choice</label></div>
<label for="expires-on" class="sub">Expiry date (UTC)</label>
<input type="date" id="expires-on" name="expires_on" min="{{minDate}}" max="{{maxDate}}" value="{{expiresOn}}" data-selects="expires-custom" aria-describedby="expires-hint">
<p class="hint" id="expires-hint">Between 1 and {{maxDays}} days from now: every token expires.</p>
</fieldset>
<button type="submit">Create token</button>
</form>
</section>
{{/with}}{{/if}}`);

const CONFIRM = Handlebars.compile(`<section class="card narrow" aria-labelledby="confirm-heading">
<h1 id="confirm-heading">{{heading}}</h1>
<dl class="facts">{{#each facts}}<dt>{{label}}</dt><dd>{{value}}</dd>{{/each}}</dl>
<p>{{warning}}</p>
<form method="post" action="{{action}}">
<input type="hidden" name="_csrf" value="{{csrf}}">
{{#if choice}}<label for="choice">{{choice.label}}</label>
<select id="choice" name="{{choice.name}}">{{#each choice.options}}<option value="{{value}}"{{#if selected}} selected{{/if}}>{{label}}</option>{{/each}}</select>{{/if}}
<div class="actions"><button type="submit"{{#if danger}} class="danger"{{/if}}>{{button}}</button><a class="button secondary" href="{{cancel}}">Cancel</a></div>
</form>
</section>`);

export const AccountViews = {
  tokens: (ctx: PageContext, data: TokensPage, secret?: NewSecret): string =>
    page(
      ctx,
      TOKENS({
        ...data,
        csrf: ctx.csrf,
        secret: secret ? secretPanel({ ...secret, label: 'Token' }) : '',
      }),
    ),
  confirm: (ctx: PageContext, data: ConfirmPage): string =>
    page(ctx, CONFIRM({ ...data, csrf: ctx.csrf })),
};

/** The one-time display of a new secret (token or client secret), with its copy button. */
export function secretPanel(
  data: NewSecret & { label: string; extra?: Fact[]; lost?: string },
): string {
  return SECRET(data);
}
