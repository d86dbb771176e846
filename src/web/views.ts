import Handlebars from 'handlebars';

// Server-rendered pages (Handlebars escapes every {{value}}). No inline scripts or styles,
// so a strict Content-Security-Policy holds; the stylesheet is /assets/tessera.css.
const LAYOUT = Handlebars.compile(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · Tessera</title>
<link rel="stylesheet" href="/assets/tessera.css">
<link rel="icon" href="data:,">
</head>
<body>
{{#if nav}}<a class="skip" href="#main">Skip to content</a>{{/if}}
<header class="top"><a class="brand" href="/">Tessera</a>{{#if nav}}<nav class="nav" aria-label="Main"><a href="/account/tokens"{{#if nav.tokens}} aria-current="page"{{/if}}>API tokens</a>{{#if nav.isAdmin}}<a href="/admin"{{#if nav.admin}} aria-current="page"{{/if}}>Admin</a>{{/if}}<a href="/api/docs">API docs</a></nav>{{/if}}{{#if user}}<form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><span class="who">{{user}}</span> <button type="submit" class="link">Sign out</button></form>{{/if}}</header>
<main id="main">{{{body}}}</main>
{{#if nav}}<script src="/assets/tessera.js" defer></script>{{/if}}
</body>
</html>`);

const LOGIN = Handlebars.compile(`<section class="card narrow">
<h1>Sign in</h1>
{{#if error}}<p class="error" role="alert">{{error}}</p>{{/if}}
<form method="post" action="/login">
<input type="hidden" name="_csrf" value="{{csrf}}">
<input type="hidden" name="return_to" value="{{returnTo}}">
<label for="login">Username or e-mail</label>
<input id="login" name="login" autocomplete="username" required value="{{login}}" {{#unless needCode}}autofocus{{/unless}}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
{{#if needCode}}
<label for="code">Code from your authenticator app</label>
<input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" autofocus required>
{{else}}
<label for="code">Two-factor code <span class="hint">(only if you turned it on)</span></label>
<input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code">
{{/if}}
<button type="submit">Sign in</button>
</form>
</section>`);

const CONSENT = Handlebars.compile(`<section class="card narrow">
<h1>Authorize {{appName}}</h1>
<p><strong>{{appName}}</strong> wants to act for <strong>{{user}}</strong> with these permissions:</p>
<ul class="scopes">{{#each scopes}}<li><code>{{this.name}}</code> — {{this.description}}</li>{{/each}}</ul>
<p class="hint">It will act in the workspaces you belong to, within what your role allows. You can revoke it at any time.</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="_csrf" value="{{csrf}}">
{{#each params}}<input type="hidden" name="{{@key}}" value="{{this}}">{{/each}}
<div class="actions">
<button type="submit" name="decision" value="approve">Authorize</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>
</section>`);

const MESSAGE = Handlebars.compile(`<section class="card narrow">
<h1>{{heading}}</h1>
<p>{{message}}</p>
{{#if link}}<p><a href="{{link}}">{{linkText}}</a></p>{{/if}}
</section>`);

export interface PageContext {
  title: string;
  user?: string;
  csrf?: string;
  /** The signed-in pages' navigation (and their script, /assets/tessera.js). */
  nav?: { isAdmin: boolean; tokens?: boolean; admin?: boolean };
}

export function page(context: PageContext, body: string): string {
  return LAYOUT({ ...context, body });
}

export const Views = {
  login: (
    ctx: PageContext,
    form: { returnTo: string; login?: string; error?: string; needCode?: boolean },
  ): string => page(ctx, LOGIN({ ...form, csrf: ctx.csrf })),
  consent: (
    ctx: PageContext,
    data: {
      appName: string;
      scopes: Array<{ name: string; description: string }>;
      params: Record<string, string>;
    },
  ): string => page(ctx, CONSENT({ ...data, csrf: ctx.csrf, user: ctx.user })),
  message: (
    ctx: PageContext,
    data: { heading: string; message: string; link?: string; linkText?: string },
  ): string => page(ctx, MESSAGE(data)),
};

export const STYLESHEET = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;background:#f5f6f8}
.top{display:flex;justify-content:space-between;align-items:center;padding:.75rem 1rem;background:#1d2330;color:#fff}
.top a{color:#fff;text-decoration:none}.brand{font-weight:700}
.who{opacity:.8}.inline{display:inline}
main{padding:1rem}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:1.25rem;margin:1rem auto;max-width:60rem}
.narrow{max-width:26rem}
h1{font-size:1.4rem;margin:0 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select{width:100%;padding:.6rem;border:1px solid #b8bfcc;border-radius:6px;font:inherit}
input:focus,button:focus,select:focus,a:focus{outline:3px solid #7aa7ff;outline-offset:1px}
button{margin-top:1rem;padding:.6rem 1.1rem;border:0;border-radius:6px;background:#2457d6;color:#fff;font:inherit;cursor:pointer}
button.secondary{background:#e4e7ed;color:#1d2330}
button.link{background:none;color:#fff;padding:0;margin:0;text-decoration:underline}
.actions{display:flex;gap:.5rem;flex-wrap:wrap}
.error{background:#fde8e8;color:#8a1c1c;padding:.6rem;border-radius:6px}
.hint{color:#5b6475;font-weight:400;font-size:.9rem}
.scopes li{margin:.3rem 0}
code{background:#eef0f4;padding:.1em .3em;border-radius:4px}
`;
