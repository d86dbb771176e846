// What the load test (bench/load.ts) knows about the world it built and what it saw.

export type Json = Record<string, unknown>;

export interface TokenRef {
  id: string;
  secret: string;
  /** Index into the spaces array. */
  ws: number;
  userId: string;
  createdAt: number;
}

export interface Person {
  id: string;
  username: string;
  steady: TokenRef;
}

export interface Space {
  index: number;
  id: string;
  limit: number;
  owner: Person;
  member: Person;
  projects: string[];
  /** Seed issues and issues created during the load (read by GET /issues/:id). */
  issues: string[];
  doomed: TokenRef[];
}

/** Each write carries a unique marker (issue subject, token name); what became of it. */
export interface MarkerLedger<T> {
  sent: Set<string>;
  /** marker → what the 201 body named (issue id, token). */
  created: Map<string, T>;
  /** marker → the refusal ("409 token_limit_reached", ...). */
  refused: Map<string, string>;
}

export interface LoadState {
  run: string;
  drainAt: number;
  doomedAt: number;
  /** Orders events in this process: request built, DELETE confirmed. */
  clock: number;
  issues: MarkerLedger<string>;
  tokens: MarkerLedger<TokenRef>;
  revokeQueue: TokenRef[];
  doomedQueue: TokenRef[];
  /** Every token token-use may send: the doomed ones and those created during the load. */
  usable: TokenRef[];
  /** token id → clock when its DELETE was built / when its 204 arrived. */
  revokeSent: Map<string, number>;
  revokeConfirmed: Map<string, number>;
  tokenUses: number;
  refusedAfterRevoke: number;
  violations: string[];
  harnessErrors: string[];
  samples: number;
  maxActiveDb: Map<number, number>;
  maxActiveApi: Map<number, number>;
  maxActivePerUser: number;
}

export function newLoadState(
  run: string,
  world: { spaces: Space[]; revokedInSetup: TokenRef[] },
  start: number,
  durationS: number,
  drainS: number,
  doomedAt: number,
): LoadState {
  const doomed = world.spaces.flatMap((s) => s.doomed);
  return {
    run,
    drainAt: start + (durationS - drainS) * 1000,
    doomedAt: start + durationS * doomedAt * 1000,
    clock: 0,
    issues: { sent: new Set(), created: new Map<string, string>(), refused: new Map() },
    tokens: { sent: new Set(), created: new Map<string, TokenRef>(), refused: new Map() },
    revokeQueue: [],
    doomedQueue: [...doomed],
    usable: [...doomed, ...world.revokedInSetup],
    // Tokens revoked during setup count as revoked (and confirmed) before the first request.
    revokeSent: new Map(world.revokedInSetup.map((t) => [t.id, 0])),
    revokeConfirmed: new Map(world.revokedInSetup.map((t) => [t.id, 0])),
    tokenUses: 0,
    refusedAfterRevoke: 0,
    violations: [],
    harnessErrors: [],
    samples: 0,
    maxActiveDb: new Map(),
    maxActiveApi: new Map(),
    maxActivePerUser: 0,
  };
}

/** Requests built and answers received, by scenario and request label. */
export class Stats {
  private readonly sentBy = new Map<string, number>();
  private readonly answersBy = new Map<string, Map<string, number>>();
  private readonly order = new Map<string, string[]>();

  sent(scenario: string, label: string): void {
    const key = this.key(scenario, label);
    this.sentBy.set(key, (this.sentBy.get(key) ?? 0) + 1);
  }

  answer(scenario: string, label: string, answer: string): void {
    const key = this.key(scenario, label);
    const answers = this.answersBy.get(key) ?? new Map<string, number>();
    answers.set(answer, (answers.get(answer) ?? 0) + 1);
    this.answersBy.set(key, answers);
  }

  labels(scenario: string): string[] {
    return this.order.get(scenario) ?? [];
  }

  sentCount(scenario: string, label: string): number {
    return this.sentBy.get(this.key(scenario, label)) ?? 0;
  }

  answers(scenario: string, label: string): Map<string, number> {
    return this.answersBy.get(this.key(scenario, label)) ?? new Map<string, number>();
  }

  private key(scenario: string, label: string): string {
    const labels = this.order.get(scenario) ?? [];
    if (!labels.includes(label)) {
      labels.push(label);
      this.order.set(scenario, labels);
    }
    return `${scenario}\u0000${label}`;
  }
}

export interface Answer {
  status: number;
  json: Json;
  text: string;
}

export interface CallOptions {
  /** A full Authorization header (Basic ...). */
  auth?: string;
  /** An API token, sent as Bearer. */
  token?: string;
  ws?: string;
  body?: Json;
}

/** A small JSON client for setup and for the checks after the load. */
export class Api {
  constructor(readonly base: string) {}

  async call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.auth) {
      headers.authorization = options.auth;
    }
    if (options.token) {
      headers.authorization = `Bearer ${options.token}`;
    }
    if (options.ws) {
      headers['x-workspace-id'] = options.ws;
    }
    if (options.body) {
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: options.body ? JSON.stringify(options.body) : undefined,
    });
    const text = await res.text();
    let json: Json = {};
    try {
      const parsed: unknown = JSON.parse(text);
      json = typeof parsed === 'object' && parsed !== null ? (parsed as Json) : {};
    } catch {
      // empty or not JSON
    }
    return { status: res.status, json, text };
  }

  async expect(
    status: number,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<Json> {
    const answer = await this.call(method, path, options);
    if (answer.status !== status) {
      throw new Error(
        `${method} ${path}: expected ${status}, got ${answer.status} ${answer.text.slice(0, 300)}`,
      );
    }
    return answer.json;
  }
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function str(json: Json, key: string): string {
  const value = json[key];
  if (typeof value !== 'string') {
    throw new Error(`no string "${key}" in ${JSON.stringify(json).slice(0, 200)}`);
  }
  return value;
}

export function num(json: Json, key: string): number {
  const value = json[key];
  if (typeof value !== 'number') {
    throw new Error(`no number "${key}" in ${JSON.stringify(json).slice(0, 200)}`);
  }
  return value;
}
