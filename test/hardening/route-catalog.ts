import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TestApp } from '../support/test-app';

// The routes under test come from the application's own OpenAPI document, so that a new route
// is fuzzed the day it is added, with the body and query schemas it documents.

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
const METHODS: HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

/** The subset of OpenAPI schema objects that @nestjs/swagger emits for our DTOs. */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  nullable?: boolean;
  example?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
}

interface OpenApiParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

interface OpenApiDocument {
  paths: Record<string, Partial<Record<string, OpenApiOperation>>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface QueryParam {
  name: string;
  schema: Schema;
}

export interface ApiRoute {
  /** e.g. `PATCH /api/v1/projects/{id}` */
  id: string;
  method: HttpMethod;
  template: string;
  pathParams: string[];
  query: QueryParam[];
  /** The route acts in the workspace named by X-Workspace-Id. */
  workspaceHeader: boolean;
  /** The JSON body schema, with $refs resolved; undefined when the route takes no body. */
  body: Schema | undefined;
}

function resolve(schema: Schema | undefined, doc: OpenApiDocument): Schema | undefined {
  if (!schema?.$ref) {
    return schema;
  }
  const name = schema.$ref.replace('#/components/schemas/', '');
  return doc.components?.schemas?.[name];
}

/** Every operation of /api/docs-json. */
export async function loadRoutes(t: TestApp): Promise<ApiRoute[]> {
  const res = await t.http().get('/api/docs-json');
  assert.equal(res.status, 200, 'the OpenAPI document must be served');
  const doc = res.body as OpenApiDocument;
  const routes: ApiRoute[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = operations[method];
      if (!op) {
        continue;
      }
      const params = op.parameters ?? [];
      const body = resolve(op.requestBody?.content?.['application/json']?.schema, doc);
      routes.push({
        id: `${method.toUpperCase()} ${template}`,
        method,
        template,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: resolve(p.schema, doc) ?? {} })),
        workspaceHeader: params.some(
          (p) => p.in === 'header' && p.name.toLowerCase() === 'x-workspace-id',
        ),
        body: body ? { ...body, properties: resolveProperties(body, doc) } : undefined,
      });
    }
  }
  return routes;
}

function resolveProperties(body: Schema, doc: OpenApiDocument): Record<string, Schema> {
  return Object.fromEntries(
    Object.entries(body.properties ?? {}).map(([name, schema]) => [
      name,
      resolve(schema, doc) ?? {},
    ]),
  );
}

/** `/api/v1/projects/{id}` with each `{param}` replaced by `value(param, collection)`. */
export function fillPath(
  template: string,
  value: (param: string, collection: string) => string,
): string {
  return template.replace(/\{([^}]+)\}/g, (_match, param: string, offset: number) => {
    // The collection a parameter names an element of: the path segment before it.
    const before = template.slice(0, offset).split('/').filter(Boolean);
    return value(param, before[before.length - 1] ?? '');
  });
}

// ---------------------------------------------------------------------------------------------
// Database state: what a refused request must leave untouched.

/** Columns written off the request path by design (token usage, every minute at most). */
const VOLATILE_COLUMNS: Record<string, string[]> = {
  api_tokens: ['last_used_at', 'last_used_ip'],
  // Set by the webhook worker in the background when it fans an event out (SPEC §11.4).
  lifecycle_events: ['fanned_out_at'],
};
/** Failed password logins are audited on purpose (SPEC §4); they are counted separately. */
const FAILED_LOGIN = `action = 'auth.failed'`;
/**
 * Refusals audited on purpose: failed logins, and an admin's token lookups, found or not
 * (SPEC §11.6), which are left out of the "a refusal changes nothing" comparison.
 */
const AUDITED_ON_PURPOSE = `action IN ('auth.failed', 'token.looked_up')`;

export interface RowCounts {
  /** Rows per table, failed-login audit events excluded. */
  tables: Record<string, number>;
  failedLogins: number;
}

function tableNames(t: TestApp): string[] {
  return t.dataSource.entityMetadatas.map((m) => m.tableName).sort();
}

/** Row counts of every entity table, in one round trip. */
export async function rowCounts(t: TestApp): Promise<RowCounts> {
  const q = (name: string): string => t.dataSource.driver.escape(name);
  const parts = tableNames(t).map(
    (name) =>
      `SELECT '${name}' AS name, COUNT(*) AS n FROM ${q(name)}` +
      (name === 'audit_events' ? ` WHERE NOT (${AUDITED_ON_PURPOSE})` : ''),
  );
  parts.push(
    `SELECT 'failed_logins' AS name, COUNT(*) AS n FROM ${q('audit_events')} WHERE ${FAILED_LOGIN}`,
  );
  const rows: Array<{ name: string; n: number | string }> = await t.dataSource.query(
    parts.join(' UNION ALL '),
  );
  const tables: Record<string, number> = {};
  let failedLogins = 0;
  for (const row of rows) {
    if (row.name === 'failed_logins') {
      failedLogins = Number(row.n);
    } else {
      tables[row.name] = Number(row.n);
    }
  }
  return { tables, failedLogins };
}

/** A digest of every row of every entity table (volatile columns and failed logins left out). */
export async function contentDigest(t: TestApp): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const meta of t.dataSource.entityMetadatas) {
    const name = meta.tableName;
    const order = meta.primaryColumns.map((c) => t.dataSource.driver.escape(c.databaseName));
    const where = name === 'audit_events' ? ` WHERE NOT (${AUDITED_ON_PURPOSE})` : '';
    const rows: Array<Record<string, unknown>> = await t.dataSource.query(
      `SELECT * FROM ${t.dataSource.driver.escape(name)}${where} ORDER BY ${order.join(', ')}`,
    );
    const hash = createHash('sha256');
    for (const row of rows) {
      for (const column of VOLATILE_COLUMNS[name] ?? []) {
        delete row[column];
      }
      hash.update(JSON.stringify(row));
    }
    out[name] = `${rows.length}:${hash.digest('hex').slice(0, 16)}`;
  }
  return out;
}

/** Tables whose value differs between two records of the same shape. */
export function changedTables<T>(before: Record<string, T>, after: Record<string, T>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((name) => before[name] !== after[name]).sort();
}
