import assert from 'node:assert/strict';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

// Checks real responses against the served OpenAPI 3.0 document: status, content type, body
// schema and headers, and records which operations and statuses were seen.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface OpenApiOperation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: JsonObject[];
  requestBody?: JsonObject;
  responses: Record<string, JsonObject>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, JsonObject>;
    headers: Record<string, JsonObject>;
  };
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Every method+path of the document, as `GET /api/v1/me`. */
export function operationsOf(doc: OpenApiDocument): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      if (item[method]) {
        out.push(`${method.toUpperCase()} ${path}`);
      }
    }
  }
  return out;
}

const DOC_ID = 'openapi-document';

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * OpenAPI 3.0 Schema Object → JSON Schema: `nullable` becomes a "null" type, references point
 * into the registered components, and objects with declared properties admit no others (so a
 * response field the document does not declare fails).
 */
export function toJsonSchema(schema: Json, composed = false): Json {
  if (Array.isArray(schema)) {
    return schema.map((item) => toJsonSchema(item, composed));
  }
  if (!isObject(schema)) {
    return schema;
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'xml' || key.startsWith('x-')) {
      continue;
    }
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.replace('#/components/schemas/', `${DOC_ID}#/definitions/`);
    } else if (key === 'allOf' && Array.isArray(value)) {
      // Members of an allOf each see the whole object: none may refuse the others' properties.
      out.allOf = value.map((member) => toJsonSchema(member, true));
    } else if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [name, toJsonSchema(property)]),
      );
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  if (!composed && schema.type === 'object' && isObject(schema.properties)) {
    out.additionalProperties = out.additionalProperties ?? false;
  }
  if (schema.nullable === true) {
    if (typeof schema.type === 'string') {
      out.type = [schema.type, 'null'];
      if (Array.isArray(out.enum)) {
        out.enum = [...out.enum, null];
      }
    } else {
      return { anyOf: [{ type: 'null' }, out] };
    }
  }
  return out;
}

export interface Observed {
  method: string;
  path: string;
  status: number;
}

/** Validates responses against one document; remembers what it validated. */
export class ContractChecker {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly seen: Observed[] = [];

  constructor(readonly doc: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({
      $id: DOC_ID,
      definitions: toJsonSchema(doc.components.schemas),
    });
  }

  private validator(key: string, schema: Json): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema) as object);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  private resolveHeader(header: JsonObject): JsonObject {
    const ref = header.$ref;
    if (typeof ref === 'string') {
      const found = this.doc.components.headers[ref.replace('#/components/headers/', '')];
      assert.ok(found, `unknown header reference ${ref}`);
      return found;
    }
    return header;
  }

  /**
   * Asserts that `res` is a documented answer of `method path` (the document's path template):
   * its status is listed, its body matches the schema of its content type, every required
   * header is there, and every response header the API defines is documented and valid.
   */
  check(
    method: string,
    path: string,
    res: {
      status: number;
      headers: Record<string, string | undefined>;
      body: unknown;
      text?: string;
    },
  ): void {
    const where = `${method.toUpperCase()} ${path} → ${res.status}`;
    const operation = this.doc.paths[path]?.[method.toLowerCase()];
    assert.ok(operation, `${method.toUpperCase()} ${path} is not in the document`);
    const response = operation.responses[String(res.status)];
    assert.ok(
      response,
      `${where} is not documented (documented: ${Object.keys(operation.responses).join(', ')}); body ${JSON.stringify(res.body)}`,
    );
    const contentType = (res.headers['content-type'] ?? '').split(';')[0].trim();
    const content = response.content as Record<string, JsonObject> | undefined;
    if (content && Object.keys(content).length > 0) {
      const media = content[contentType];
      assert.ok(media, `${where}: content type ${contentType} is not documented`);
      if (contentType === 'application/json' && media.schema !== undefined) {
        const validate = this.validator(`${method} ${path} ${res.status}`, media.schema);
        assert.ok(
          validate(res.body),
          `${where}: body does not match the document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`,
        );
      }
    } else {
      assert.ok(
        !res.text || res.text.length === 0,
        `${where}: documented without a body, but sent ${res.text}`,
      );
    }
    const headers = (response.headers ?? {}) as Record<string, JsonObject>;
    const documented = new Map(
      Object.entries(headers).map(([name, header]) => [
        name.toLowerCase(),
        this.resolveHeader(header),
      ]),
    );
    for (const [name, header] of documented) {
      if (header.required === true) {
        assert.ok(res.headers[name] !== undefined, `${where}: required header ${name} missing`);
      }
    }
    for (const name of API_HEADERS) {
      const value = res.headers[name];
      if (value === undefined) {
        continue;
      }
      const header = documented.get(name);
      assert.ok(header, `${where}: sends ${name}, which the document does not list`);
      const schema = (header.schema ?? {}) as JsonObject;
      const typed: Json =
        schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
      const validate = this.validator(`header ${name} ${JSON.stringify(schema)}`, schema);
      assert.ok(validate(typed), `${where}: header ${name}: ${value} does not match`);
    }
    this.seen.push({ method: method.toUpperCase(), path, status: res.status });
  }
}

/** The response headers Tessera defines; each one a response carries must be documented. */
export const API_HEADERS = [
  'x-request-id',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'retry-after',
  'x-token-expires-at',
  'deprecation',
  'sunset',
  'link',
  'www-authenticate',
] as const;
