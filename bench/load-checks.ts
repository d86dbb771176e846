// The invariants bench/load.ts checks after the load, in the database and through the API.
import autocannon from 'autocannon';
import { isActive, LoadDb, TokenRow } from './load-db';
import { Answer, Api, LoadState, MarkerLedger, Stats, TokenRef } from './load-model';
import { World } from './load-setup';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CheckInput {
  api: Api;
  db: LoadDb;
  state: LoadState;
  world: World;
  stats: Stats;
  /** scenario → request label → allowed answers. */
  allowed: Map<string, Record<string, string[]>>;
  results: autocannon.Result[];
  serverAlive: () => boolean;
}

export async function runChecks(input: CheckInput): Promise<Check[]> {
  const { api, db, state } = input;
  const { spaces } = input.world;
  const checks: Check[] = [...answerChecks(input)];

  const tokens = await db.tokens(spaces.map((s) => s.id));
  checks.push(await limitCheck(input, tokens));
  checks.push(burstCheck(input, tokens));
  checks.push(limitReachedCheck(input));

  const tokenRows = tokens
    .filter((t) => t.name.startsWith(`${state.run}-tok-`))
    .map((t) => ({ marker: t.name, id: t.id }));
  checks.push(
    ledgerCheck(
      'every token POST answered 201 exists exactly once, no other',
      state.tokens,
      tokenRows,
      (ref) => ref.id,
    ),
  );

  const issueRows = (await db.issuesStartingWith(`${state.run}-issue-`)).map((i) => ({
    marker: i.subject,
    id: i.id,
  }));
  const issues = ledgerCheck(
    'every issue POST answered 201 exists exactly once, no other',
    state.issues,
    issueRows,
    (id) => id,
  );
  const apiProblems = await issuesThroughApi(input);
  checks.push({
    ...issues,
    ok: issues.ok && apiProblems.length === 0,
    detail: [issues.detail, ...apiProblems].join('; '),
  });

  checks.push({
    name: 'no revoked token accepted during the load',
    ok: state.violations.length === 0,
    detail:
      state.violations.length > 0
        ? `${state.violations.length} violations: ${[...new Set(state.violations)].slice(0, 5).join('; ')}`
        : `${state.tokenUses} token-use answers, ${state.revokeConfirmed.size} revocations confirmed, ${state.refusedAfterRevoke} refusals after a confirmed revocation`,
  });
  checks.push(await revokedAfterLoadCheck(input, tokens));
  checks.push({
    name: 'harness ran cleanly (sampler, request builders)',
    ok: state.harnessErrors.length === 0,
    detail: state.harnessErrors.slice(0, 5).join('; '),
  });

  const ready = await api
    .call('GET', '/health/ready')
    .catch((error: Error): Answer => ({ status: 0, json: {}, text: error.message }));
  const alive = input.serverAlive();
  checks.push({
    name: 'server alive and /health/ready ok',
    ok: alive && ready.status === 200 && ready.json.status === 'ok',
    detail: `process ${alive ? 'running' : 'gone'}, /health/ready ${ready.status} ${ready.text.slice(0, 120)}`,
  });
  return checks;
}

function answerChecks(input: CheckInput): Check[] {
  const fivexx: string[] = [];
  const unexpected: string[] = [];
  const expected: string[] = [];
  const unanswered: string[] = [];
  for (const [scenario, allowed] of input.allowed) {
    for (const label of input.stats.labels(scenario)) {
      let answered = 0;
      for (const [key, n] of input.stats.answers(scenario, label)) {
        answered += n;
        const where = `${key} ×${n} (${scenario}: ${label})`;
        if (key.startsWith('5')) {
          fivexx.push(where);
        } else if (!(allowed[label] ?? []).includes(key)) {
          unexpected.push(where);
        } else if (!key.startsWith('2')) {
          expected.push(where);
        }
      }
      const lost = input.stats.sentCount(scenario, label) - answered;
      if (lost > 0) {
        unanswered.push(`${lost} ${label}`);
      }
    }
  }
  const timeouts = input.results.reduce((n, r) => n + r.timeouts, 0);
  const errors = input.results.reduce((n, r) => n + r.errors, 0);
  return [
    { name: 'no 5xx', ok: fivexx.length === 0, detail: fivexx.join(', ') },
    {
      name: 'every non-2xx answer is an expected one',
      ok: unexpected.length === 0,
      detail:
        unexpected.length > 0
          ? `unexpected: ${unexpected.join(', ')}`
          : `expected: ${expected.join(', ')}`,
    },
    {
      name: 'no request timed out or lost its connection',
      ok: timeouts === 0 && errors === 0,
      detail: `${timeouts} timeouts, ${errors} connection errors; still in flight when autocannon stopped: ${unanswered.length > 0 ? unanswered.join(', ') : 'none'}`,
    },
  ];
}

function activeBy(
  tokens: TokenRow[],
  now: number,
  key: (t: TokenRow) => string,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tokens.filter((row) => isActive(row, now))) {
    counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
  }
  return counts;
}

async function limitCheck(input: CheckInput, tokens: TokenRow[]): Promise<Check> {
  const { api, state } = input;
  const { spaces } = input.world;
  const now = Date.now();
  const finalDb = activeBy(tokens, now, (t) => t.workspaceId);
  const perUser = Math.max(0, ...activeBy(tokens, now, (t) => t.userId).values());
  const parts: string[] = [];
  let ok = true;
  for (const s of spaces) {
    const listed = await api.call('GET', '/api/v1/tokens?state=active&all=true&limit=1', {
      token: s.owner.steady.secret,
      ws: s.id,
    });
    const finalApi = typeof listed.json.total_count === 'number' ? listed.json.total_count : NaN;
    const seen = [
      state.maxActiveDb.get(s.index) ?? 0,
      state.maxActiveApi.get(s.index) ?? 0,
      finalDb.get(s.id) ?? 0,
      finalApi,
    ];
    if (!seen.every((n) => n <= s.limit)) {
      ok = false;
    }
    parts.push(`${seen.join('/')} of ${s.limit}`);
  }
  ok = ok && state.maxActivePerUser <= spaces[0].limit && perUser <= spaces[0].limit;
  return {
    name: 'active tokens never above the plan limit',
    ok,
    detail: `per workspace, max in ${state.samples} DB samples / max in in-load API lists / final DB / final API: ${parts.join(', ')}; max per user ${Math.max(state.maxActivePerUser, perUser)}`,
  };
}

/** The parallel burst of setup: exactly the free slots got a 201, the rest a 409. */
function burstCheck(input: CheckInput, tokens: TokenRow[]): Check {
  const { spaces, burst } = input.world;
  const parts: string[] = [];
  let ok = true;
  for (const s of spaces) {
    const b = burst[s.index];
    const rows = tokens.filter((t) => t.name.startsWith(`${input.state.run}-burst-${s.index}-`));
    const created = new Set(b.created.map((t) => t.id));
    if (
      b.created.length !== b.room ||
      b.other.length > 0 ||
      rows.length !== created.size ||
      !rows.every((r) => created.has(r.id))
    ) {
      ok = false;
    }
    parts.push(
      `${b.created.length} × 201 (room ${b.room}), ${b.refused} × 409${b.other.length > 0 ? `, other: ${b.other.join(' | ')}` : ''}, ${rows.length} rows`,
    );
  }
  return {
    name: 'parallel burst of POST /tokens: 201 exactly up to the limit, then 409 token_limit_reached',
    ok,
    detail: parts.join('; '),
  };
}

function limitReachedCheck(input: CheckInput): Check {
  const answers = input.stats.answers('token-create', 'POST /tokens');
  const created = answers.get('201') ?? 0;
  const refused = answers.get('409 token_limit_reached') ?? 0;
  return {
    name: 'token creation went past the limit (201 then 409 token_limit_reached)',
    ok: created > 0 && refused > 0,
    detail: `${created} created, ${refused} refused at the limit`,
  };
}

/**
 * Matches what the database holds against what the clients were told. A request with no answer
 * (in flight when autocannon stopped, or timed out) may or may not have committed: it may exist
 * at most once, and is counted, not failed.
 */
function ledgerCheck<T>(
  name: string,
  ledger: MarkerLedger<T>,
  rows: Array<{ marker: string; id: string }>,
  idOf: (created: T) => string,
): Check {
  const byMarker = new Map<string, string[]>();
  for (const row of rows) {
    byMarker.set(row.marker, [...(byMarker.get(row.marker) ?? []), row.id]);
  }
  const problems: string[] = [];
  for (const [marker, created] of ledger.created) {
    const ids = byMarker.get(marker) ?? [];
    if (ids.length !== 1 || ids[0] !== idOf(created)) {
      problems.push(`${marker}: 201 with id ${idOf(created)}, database has [${ids.join(', ')}]`);
    }
  }
  for (const [marker, answer] of ledger.refused) {
    if (byMarker.has(marker)) {
      problems.push(`${marker}: answered ${answer} but exists`);
    }
  }
  let unanswered = 0;
  let committed = 0;
  for (const [marker, ids] of byMarker) {
    if (!ledger.sent.has(marker)) {
      problems.push(`${marker}: exists but was never sent`);
    } else if (!ledger.created.has(marker) && !ledger.refused.has(marker)) {
      committed += 1;
    }
    if (ids.length > 1) {
      problems.push(`${marker}: ${ids.length} rows`);
    }
  }
  for (const marker of ledger.sent) {
    if (!ledger.created.has(marker) && !ledger.refused.has(marker)) {
      unanswered += 1;
    }
  }
  return {
    name,
    ok: problems.length === 0,
    detail:
      problems.length > 0
        ? `${problems.length} problems: ${problems.slice(0, 5).join('; ')}`
        : `${ledger.created.size} created, ${ledger.refused.size} refused, ${rows.length} rows; ${unanswered} unanswered (${committed} of them committed)`,
  };
}

/** The API agrees with the database: per-project totals, and a sample of the created issues. */
async function issuesThroughApi(input: CheckInput): Promise<string[]> {
  const { api, db, state } = input;
  const { spaces } = input.world;
  const problems: string[] = [];
  for (const s of spaces) {
    for (const projectId of s.projects) {
      const listed = await api.call('GET', `/api/v1/issues?project_id=${projectId}&limit=1`, {
        token: s.owner.steady.secret,
        ws: s.id,
      });
      const inDb = await db.issueCount(projectId);
      if (listed.status !== 200 || listed.json.total_count !== inDb) {
        problems.push(
          `project ${projectId}: API ${listed.status} total ${String(listed.json.total_count)}, database ${inDb}`,
        );
      }
    }
  }
  const created = [...state.issues.created.entries()];
  const sample = created.filter((_, i) => i % Math.max(1, Math.floor(created.length / 30)) === 0);
  for (const [marker, id] of sample) {
    const s = spaces.find((sp) => sp.issues.includes(id));
    if (!s) {
      problems.push(`issue ${id} (${marker}) answered 201 but no workspace recorded it`);
      continue;
    }
    const got = await api.call('GET', `/api/v1/issues/${id}`, {
      token: s.owner.steady.secret,
      ws: s.id,
    });
    if (got.status !== 200 || got.json.subject !== marker) {
      problems.push(`GET /issues/${id}: ${got.status} ${got.text.slice(0, 100)}`);
    }
  }
  return problems;
}

async function revokedAfterLoadCheck(input: CheckInput, tokens: TokenRow[]): Promise<Check> {
  const { api, state } = input;
  const { spaces } = input.world;
  const now = Date.now();
  const known = new Map<string, TokenRef>();
  for (const ref of [
    ...state.usable,
    ...spaces.flatMap((s) => [s.owner.steady, s.member.steady]),
  ]) {
    known.set(ref.id, ref);
  }
  const revokedInDb = tokens.filter((t) => t.revokedAt !== null && t.revokedAt.getTime() <= now);
  const revokedIds = new Set(revokedInDb.map((t) => t.id));
  const problems: string[] = [];
  for (const id of state.revokeConfirmed.keys()) {
    if (!revokedIds.has(id)) {
      problems.push(`${id}: DELETE answered 204 but revoked_at is not set`);
    }
  }
  const queue = [...revokedInDb];
  let refused = 0;
  const worker = async (): Promise<void> => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const ref = known.get(t.id);
      if (!ref) {
        problems.push(`${t.id}: revoked, but not a token this run made`);
        continue;
      }
      const answer = await api.call('GET', '/api/v1/projects?limit=1', {
        token: ref.secret,
        ws: spaces[ref.ws].id,
      });
      if (answer.status === 401 && answer.json.code === 'token_revoked') {
        refused += 1;
      } else {
        problems.push(`${t.id}: ${answer.status} ${answer.text.slice(0, 100)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return {
    name: 'every revoked token is refused after the load (401 token_revoked)',
    ok: problems.length === 0 && revokedInDb.length > 0,
    detail:
      problems.length > 0
        ? `${problems.length} problems: ${problems.slice(0, 5).join('; ')}`
        : `${refused} of ${revokedInDb.length} revoked tokens refused`,
  };
}
