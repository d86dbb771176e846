import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/decorators/auth.decorator';
import { LEGACY_MIGRATION_PATH } from '../auth/response-headers';

const MIGRATION_GUIDE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Migrating from API passwords — Tessera</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
code,pre{background:#f3f3f3;border-radius:4px;padding:.1em .3em}pre{padding:.8em;overflow:auto}</style>
</head><body>
<h1>Migrating from API passwords</h1>
<p>Requests that send <code>X-AUTH-USER</code> and <code>X-AUTH-TOKEN</code> use an <em>API password</em>.
API passwords are deprecated: responses to them carry a <code>Deprecation</code> header and, once your
administrator has set a removal date, a <code>Sunset</code> header with that date. After it, such requests
are refused with <code>401 legacy_auth_removed</code>.</p>
<h2>What to do</h2>
<ol>
<li>Sign in and create an API token for the integration with only the scopes it needs
(<code>POST /api/v1/tokens</code> or the token page). Copy it: it is shown once.</li>
<li>Replace the two headers with one:
<pre>Before:  X-AUTH-USER: jsmith
         X-AUTH-TOKEN: my-api-password
After:   Authorization: Bearer ts_…</pre></li>
<li>Keep sending <code>X-Workspace-Id</code> on workspace routes, as before.</li>
<li>Ask your administrator to clear your API password once nothing uses it.</li>
</ol>
<p>Administrators see who still uses API passwords at <code>GET /api/v1/admin/legacy-auth-usage</code>.</p>
</body></html>`;

/** Public documentation pages linked from API responses. */
@ApiExcludeController()
@Controller()
export class DocsController {
  @Get(LEGACY_MIGRATION_PATH.slice(1))
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  migrationGuide(): string {
    return MIGRATION_GUIDE;
  }
}
