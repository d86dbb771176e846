import assert from 'node:assert/strict';
import { parse } from 'yaml';

/** docker/compose.yaml, with YAML merge keys (`<<: *app`) applied as Compose applies them. */
export function parseCompose(text: string): Record<string, unknown> {
  return asMap(parse(text, { merge: true }), 'compose.yaml');
}

export function asMap(value: unknown, what: string): Record<string, unknown> {
  assert.ok(
    typeof value === 'object' && value !== null && !Array.isArray(value),
    `${what} is not a mapping`,
  );
  return value as Record<string, unknown>;
}

export function asList(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} is not a list`);
  return value;
}

/** A service's environment, whether written as a mapping or as KEY=value lines. */
export function environment(service: Record<string, unknown>): Record<string, string> {
  const env = service.environment;
  if (env === undefined) {
    return {};
  }
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((line) => {
        const text = String(line);
        const eq = text.indexOf('=');
        return eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(asMap(env, 'environment')).map(([key, value]) => [key, String(value)]),
  );
}

export function profiles(service: Record<string, unknown>): string[] {
  return service.profiles === undefined
    ? []
    : asList(service.profiles, 'profiles').map((p) => String(p));
}

/** Compose's interpolation with an empty shell: `${VAR:-default}` → default, `${VAR}` → ''. */
export function withDefaults(text: string): string {
  return text.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_, fallback?: string) =>
    fallback === undefined ? '' : fallback,
  );
}

/** A Compose duration (`35s`, `1m30s`, `500ms`) in milliseconds. */
export function durationMs(value: unknown): number {
  const text = String(value);
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|us|h|m|s)/.exec(rest);
    assert.ok(match, `"${text}" is not a duration`);
    total += Number(match[1]) * units[match[2]];
    rest = rest.slice(match[0].length);
  }
  assert.ok(text.length > 0, 'empty duration');
  return total;
}

/** HAProxy's configuration: each section (`backend apps`) with its directive lines. */
export function haproxySections(text: string): Map<string, string[][]> {
  const sections = new Map<string, string[][]>();
  let current: string[][] | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trimEnd();
    if (line.trim() === '') {
      continue;
    }
    const words = line.trim().split(/\s+/);
    if (!/^\s/.test(line)) {
      current = [];
      sections.set(words.join(' '), current);
    } else {
      assert.ok(current, `haproxy.cfg: "${line.trim()}" outside a section`);
      current.push(words);
    }
  }
  return sections;
}
