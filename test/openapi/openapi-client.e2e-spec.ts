import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import ts from 'typescript';
import { createUser, createWorkspace, TestUser, TestWorkspace } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

// A client generated from the served document (openapi-typescript + openapi-fetch) compiles
// under --strict and runs a workflow against the app, with 404 and 409 as typed cases.

interface OpenApiTs {
  default: (source: object, options?: object) => Promise<unknown[]>;
  astToString: (nodes: unknown[]) => string;
}

interface WorkflowResult {
  tokenPrefix: string;
  listed: number;
  projectId: string;
  notFound: string;
  conflict: string;
}

// Type-checked at test time against the generated file; compiled to CommonJS and run.
const WORKFLOW = `
import createClient from 'openapi-fetch';
import type { components, paths } from './tessera-api';

type Project = components['schemas']['ProjectResponse'];

export async function run(baseUrl: string, basic: string, workspaceId: string) {
  const withPassword = createClient<paths>({ baseUrl, headers: { Authorization: basic } });
  const created = await withPassword.POST('/api/v1/tokens', {
    params: { header: { 'X-Workspace-Id': workspaceId } },
    body: { name: 'generated client', scopes: ['read', 'write'], expires_in_days: 30 },
  });
  if (!created.data) {
    throw new Error('token not created: ' + JSON.stringify(created.error));
  }
  const secret: string = created.data.token;
  const expires: string = created.data.expires_at;

  const api = createClient<paths>({ baseUrl, headers: { Authorization: 'Bearer ' + secret } });
  const inWorkspace = { header: { 'X-Workspace-Id': workspaceId } };
  const list = await api.GET('/api/v1/projects', {
    params: { ...inWorkspace, query: { limit: 10 } },
  });
  if (!list.data) {
    throw new Error('list failed');
  }
  const total: number = list.data.total_count;

  const body = { name: 'Generated', identifier: 'generated' };
  const project = await api.POST('/api/v1/projects', { params: inWorkspace, body });
  if (!project.data) {
    throw new Error('project not created');
  }
  const made: Project = project.data;

  const missing = await api.GET('/api/v1/projects/{id}', {
    params: { ...inWorkspace, path: { id: '00000000-0000-4000-8000-000000000000' } },
  });
  let notFound = '';
  if (missing.error && missing.response.status === 404) {
    // The codes are an enumeration: a code this route cannot answer does not even compile.
    // @ts-expect-error not a code of GET /api/v1/projects/{id}
    if (missing.error.code === 'no_such_code') {
      throw new Error('unreachable');
    }
    if (missing.error.code === 'not_found') {
      notFound = missing.error.message;
    }
  }

  const again = await api.POST('/api/v1/projects', { params: inWorkspace, body });
  let conflict = '';
  if (again.error && again.response.status === 409) {
    const details: Array<{ field: string; message: string }> = again.error.details ?? [];
    conflict = again.error.code + ':' + details.map((d) => d.field).join(',');
  }
  return {
    tokenPrefix: secret.slice(0, 3),
    listed: total + (expires ? 0 : 1),
    projectId: made.id,
    notFound,
    conflict,
  };
}
`;

describe('A client generated from the OpenAPI document (SPEC §3)', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;
  // Inside the worktree, so that the generated code finds openapi-fetch in node_modules.
  const dir = resolve(__dirname, `../../openapi-client-${process.pid}`);

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    ws = await createWorkspace(t, owner);
    mkdirSync(dir, { recursive: true });
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('generates, compiles under --strict, and runs a typed workflow', async () => {
    const doc = (await t.http().get('/api/docs-json')).body as object;
    const openapiTs = (await import('openapi-typescript')) as unknown as OpenApiTs;
    const generated = openapiTs.astToString(await openapiTs.default(doc));
    writeFileSync(join(dir, 'tessera-api.ts'), generated);
    writeFileSync(join(dir, 'workflow.ts'), WORKFLOW);

    const program = ts.createProgram([join(dir, 'workflow.ts')], {
      strict: true,
      noEmitOnError: true,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
      esModuleInterop: true,
      skipLibCheck: true,
      outDir: join(dir, 'out'),
    });
    const emitted = program.emit();
    const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) =>
      ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    );
    assert.deepEqual(diagnostics, [], 'the generated client does not compile');

    const address = t.app.getHttpServer().address() as { port: number };
    const workflow = (await import(pathToFileURL(join(dir, 'out', 'workflow.js')).href)) as {
      run: (baseUrl: string, basic: string, workspaceId: string) => Promise<WorkflowResult>;
    };
    const result = await workflow.run(`http://127.0.0.1:${address.port}`, owner.basic, ws.id);
    assert.equal(result.tokenPrefix, 'ts_');
    assert.equal(result.listed, 0);
    assert.match(result.projectId, /^[0-9a-f-]{36}$/);
    assert.match(result.notFound, /Project was not found/);
    assert.equal(result.conflict, 'conflict:identifier');
  });
});
