import Handlebars from 'handlebars';
import { secretPanel } from './account-views';
import { page, PageContext } from './views';

// The instance administrators' pages (SPEC §8, §9): settings, OAuth applications, the
// legacy-auth report and every token. Handlebars escapes every {{value}}.

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
}

export interface AdminTokensPage {
  flash?: string;
  tokens: AdminTokenView[];
  states: Array<{ value: string; label: string; selected: boolean }>;
  summary: string;
  previous?: string;
  next?: string;
}

const HOME = Handlebars.compile(`<section class="card" aria-labelledby="admin-heading">
<h1 id="admin-heading">Administration</h1>
<p class="hint">For instance administrators. Every change here is recorded in the audit log, as through the admin API.</p>
<ul class="links">
<li><a href="/admin/settings">Instance settings</a> — switch the REST API and its credentials on or off, set the legacy-auth sunset and the longest token lifetime.</li>
<li><a href="/admin/oauth-applications">OAuth applications</a> — register and delete the applications that may ask users for access.</li>
<li><a href="/admin/legacy-auth-usage">Legacy API password report</a> — who still signs in with X-AUTH-USER and X-AUTH-TOKEN.</li>
<li><a href="/admin/tokens">All API tokens</a> — every token of every user, with revoke.</li>
<li><a href="/api/docs">API documentation (Swagger UI)</a> — try the API with a token.</li>
</ul>
</section>`);

const SETTINGS =
  Handlebars.compile(`{{#if flash}}<p class="notice card" role="status">{{flash}}</p>{{/if}}
<section class="card" aria-labelledby="settings-heading">
<h1 id="settings-heading">Instance settings</h1>
{{#if error}}<p class="error" role="alert">{{error}}</p>{{/if}}
<form method="post" action="/admin/settings">
<input type="hidden" name="_csrf" value="{{csrf}}">
<fieldset><legend>API access</legend>
{{#each switches}}<div class="check"><input type="checkbox" id="{{name}}" name="{{name}}"{{#if checked}} checked{{/if}} aria-describedby="{{name}}-hint"><label for="{{name}}">{{label}}</label><p class="hint" id="{{name}}-hint">{{hint}}</p></div>
{{/each}}</fieldset>
<label for="legacy_auth_sunset_at">Legacy API password sunset (UTC)</label>
<input type="datetime-local" id="legacy_auth_sunset_at" name="legacy_auth_sunset_at" value="{{sunset}}" aria-describedby="sunset-hint">
<p class="hint" id="sunset-hint">After this moment X-AUTH-USER / X-AUTH-TOKEN requests are refused. Leave empty for no date.</p>
<label for="max_token_lifetime_days">Longest token lifetime (days)</label>
<input type="number" id="max_token_lifetime_days" name="max_token_lifetime_days" min="1" max="365" step="1" required value="{{maxDays}}" aria-describedby="max-hint">
<p class="hint" id="max-hint">1 to 365. New tokens cannot expire later than this.</p>
<button type="submit">Save settings</button>
</form>
<p class="hint">Last changed {{updatedAt}}.</p>
</section>`);

const APPLICATIONS =
  Handlebars.compile(`{{#if flash}}<p class="notice card" role="status">{{flash}}</p>{{/if}}
{{{secret}}}
<section class="card" aria-labelledby="apps-heading">
<h1 id="apps-heading">OAuth applications</h1>
{{#if apps.length}}
<div class="table-wrap"><table class="stack" aria-labelledby="apps-heading">
<thead><tr><th scope="col">Name</th><th scope="col">Client id</th><th scope="col">Type</th><th scope="col">Redirect URIs</th><th scope="col">Scopes</th><th scope="col">Registered</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>{{#each apps}}<tr data-app-id="{{id}}">
<td data-label="Name">{{name}}</td><td data-label="Client id"><code>{{clientId}}</code></td><td data-label="Type">{{kind}}</td>
<td data-label="Redirect URIs">{{#each redirectUris}}<div>{{this}}</div>{{/each}}</td><td data-label="Scopes">{{scopes}}</td><td data-label="Registered">{{created}}</td>
<td data-label="Actions"><form method="get" action="/admin/oauth-applications/{{id}}/delete"><button type="submit" class="small danger" aria-label="Delete application {{name}}">Delete</button></form></td>
</tr>{{/each}}</tbody></table></div>
{{else}}<p class="empty">No applications are registered.</p>{{/if}}
</section>
<section class="card" aria-labelledby="new-app-heading">
<h2 id="new-app-heading">Register an application</h2>
{{#if error}}<p class="error" role="alert">{{error}}</p>{{/if}}
{{#with form}}<form method="post" action="/admin/oauth-applications">
<input type="hidden" name="_csrf" value="{{../csrf}}">
<label for="app-name">Name</label>
<input id="app-name" name="name" maxlength="120" required value="{{name}}">
<label for="app-redirects">Redirect URIs <span class="hint">(one per line)</span></label>
<textarea id="app-redirects" name="redirect_uris" required aria-describedby="app-redirects-hint">{{redirectUris}}</textarea>
<p class="hint" id="app-redirects-hint">https URLs (http only for localhost), matched exactly.</p>
<fieldset><legend>Scopes it may ask for</legend>
{{#each scopes}}<div class="check"><input type="checkbox" id="app-scope-{{name}}" name="scopes" value="{{name}}"{{#if checked}} checked{{/if}} aria-describedby="app-scope-{{name}}-hint"><label for="app-scope-{{name}}">{{name}}</label><p class="hint" id="app-scope-{{name}}-hint">{{description}}</p></div>
{{/each}}</fieldset>
<div class="check"><input type="checkbox" id="app-confidential" name="confidential"{{#if confidential}} checked{{/if}} aria-describedby="app-confidential-hint"><label for="app-confidential">Confidential client</label><p class="hint" id="app-confidential-hint">A server that can keep a client secret. Leave unticked for browser and mobile apps, which must use PKCE.</p></div>
<button type="submit">Register application</button>
</form>{{/with}}
</section>`);

const LEGACY = Handlebars.compile(`<section class="card" aria-labelledby="legacy-heading">
<h1 id="legacy-heading">Legacy API password report</h1>
<p class="hint">Users who still authenticate with X-AUTH-USER and X-AUTH-TOKEN. Ask them to move to API tokens before the sunset date.</p>
{{#if rows.length}}
<div class="table-wrap"><table class="stack" aria-labelledby="legacy-heading">
<thead><tr><th scope="col">User</th><th scope="col">Uses</th><th scope="col">First use</th><th scope="col">Last use</th><th scope="col">Last IP</th><th scope="col">Last user agent</th></tr></thead>
<tbody>{{#each rows}}<tr><td data-label="User">{{username}}</td><td data-label="Uses">{{count}}</td><td data-label="First use">{{first}}</td><td data-label="Last use">{{last}}</td><td data-label="Last IP">{{ip}}</td><td data-label="Last user agent">{{userAgent}}</td></tr>{{/each}}</tbody>
</table></div>
{{else}}<p class="empty">Nobody has used an API password.</p>{{/if}}
</section>`);

const TOKENS =
  Handlebars.compile(`{{#if flash}}<p class="notice card" role="status">{{flash}}</p>{{/if}}
<section class="card" aria-labelledby="all-tokens-heading">
<h1 id="all-tokens-heading">All API tokens</h1>
<form method="get" action="/admin/tokens" class="filter">
<div><label for="state">Show</label><select id="state" name="state">{{#each states}}<option value="{{value}}"{{#if selected}} selected{{/if}}>{{label}}</option>{{/each}}</select></div>
<button type="submit" class="secondary">Filter</button>
</form>
<p class="hint">{{summary}}</p>
{{#if tokens.length}}
<div class="table-wrap"><table class="stack" aria-labelledby="all-tokens-heading">
<thead><tr><th scope="col">Name</th><th scope="col">Token</th><th scope="col">Owner</th><th scope="col">Workspace</th><th scope="col">Scopes</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>{{#each tokens}}<tr data-token-id="{{id}}">
<td data-label="Name">{{name}}</td><td data-label="Token"><code>{{prefix}}…</code></td><td data-label="Owner">{{owner}}</td><td data-label="Workspace">{{workspace}}</td>
<td data-label="Scopes">{{scopes}}</td><td data-label="Expires">{{expires}}</td><td data-label="Last used">{{lastUsed}}</td>
<td data-label="State"><span class="state state-{{state}}">{{stateLabel}}</span></td>
<td data-label="Actions">{{#if canRevoke}}<form method="get" action="/admin/tokens/{{id}}/revoke"><button type="submit" class="small danger" aria-label="Revoke token {{name}} of {{owner}}">Revoke</button></form>{{/if}}</td>
</tr>{{/each}}</tbody></table></div>
{{else}}<p class="empty">No tokens match.</p>{{/if}}
<nav class="pager" aria-label="Pages">{{#if previous}}<a href="{{previous}}">Previous page</a>{{/if}}{{#if next}}<a href="{{next}}">Next page</a>{{/if}}</nav>
</section>`);

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
        secret: created ? createdApplication(created) : '',
      }),
    ),
  legacy: (ctx: PageContext, rows: LegacyRow[]): string => page(ctx, LEGACY({ rows })),
  tokens: (ctx: PageContext, data: AdminTokensPage): string => page(ctx, TOKENS(data)),
};

const PUBLIC_CLIENT =
  Handlebars.compile(`<section class="card secret" aria-labelledby="secret-heading">
<h2 id="secret-heading">{{name}} is registered</h2>
<dl class="facts"><dt>Client id</dt><dd><code>{{clientId}}</code></dd></dl>
<p>This is a public client: it has no secret and must use PKCE (S256).</p>
</section>`);

function createdApplication(created: {
  name: string;
  clientId: string;
  secret: string | null;
}): string {
  if (!created.secret) {
    return PUBLIC_CLIENT(created);
  }
  return secretPanel({
    heading: `${created.name} is registered: its client secret`,
    label: 'Client secret',
    secret: created.secret,
    usage: 'The application authenticates at /oauth/token with its client id and this secret.',
    extra: [{ label: 'Client id', value: created.clientId }],
    lost: 'If you lose it, delete the application and register it again.',
  });
}
