// The concurrent scenarios of bench/load.ts: what each autocannon connection sends next, and
// what it records of each answer.
import autocannon from 'autocannon';
import { Json, LoadState, Space, Stats, str, TokenRef } from './load-model';

/** Tokens made during the load are revoked once they are this old (and in use). */
const REVOKE_AFTER_MS = 150;

export interface Step {
  label: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  token?: string;
  ws?: string;
  body?: Json;
  onAnswer?: (status: number, json: Json, key: string) => void;
}

export interface Scenario {
  name: string;
  connections: number;
  /** Answers each request label may get: "200", "409 token_limit_reached", ... */
  allowed: Record<string, string[]>;
  next(seq: number, now: number): Step;
}

interface Ctx {
  step?: Step;
}

export const DRAIN_LABEL = 'drain: GET /health/live';
const drain = (): Step => ({ label: DRAIN_LABEL, method: 'GET', path: '/health/live' });

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

export function scenarios(state: LoadState, spaces: Space[]): Scenario[] {
  const W = spaces.length;
  let reads = 0;
  let writes = 0;
  let creates = 0;
  let lists = 0;
  const read: Scenario = {
    name: 'read',
    connections: 6,
    allowed: {
      'GET /projects': ['200'],
      'GET /issues?project_id': ['200'],
      'GET /issues/:id': ['200'],
    },
    next() {
      const i = reads++;
      const s = spaces[i % W];
      const who = Math.floor(i / W) % 2 === 0 ? s.owner : s.member;
      const base = { token: who.steady.secret, ws: s.id, method: 'GET' as const };
      switch (Math.floor(i / W) % 3) {
        case 0:
          return { ...base, label: 'GET /projects', path: '/api/v1/projects?limit=20' };
        case 1:
          return {
            ...base,
            label: 'GET /issues?project_id',
            path: `/api/v1/issues?project_id=${pick(s.projects)}&limit=20`,
          };
        default:
          return { ...base, label: 'GET /issues/:id', path: `/api/v1/issues/${pick(s.issues)}` };
      }
    },
  };
  const write: Scenario = {
    name: 'write',
    connections: 6,
    allowed: { 'POST /projects/:id/issues': ['201'], [DRAIN_LABEL]: ['200'] },
    next(_seq, now) {
      if (now >= state.drainAt) {
        return drain();
      }
      const i = writes++;
      const s = spaces[i % W];
      const who = Math.floor(i / W) % 2 === 0 ? s.owner : s.member;
      const marker = `${state.run}-issue-${i}`;
      state.issues.sent.add(marker);
      return {
        label: 'POST /projects/:id/issues',
        method: 'POST',
        path: `/api/v1/projects/${pick(s.projects)}/issues`,
        token: who.steady.secret,
        ws: s.id,
        body: { subject: marker, priority: 'high' },
        onAnswer(status, json, key) {
          if (status !== 201) {
            state.issues.refused.set(marker, key);
            return;
          }
          if (json.subject !== marker) {
            state.violations.push(
              `POST issue ${marker} answered with subject ${String(json.subject)}`,
            );
          }
          state.issues.created.set(marker, str(json, 'id'));
          s.issues.push(str(json, 'id'));
        },
      };
    },
  };
  const tokenCreate: Scenario = {
    name: 'token-create',
    connections: 4,
    allowed: { 'POST /tokens': ['201', '409 token_limit_reached'], [DRAIN_LABEL]: ['200'] },
    next(_seq, now) {
      if (now >= state.drainAt) {
        return drain();
      }
      const i = creates++;
      const s = spaces[i % W];
      const who = Math.floor(i / W) % 2 === 0 ? s.owner : s.member;
      const name = `${state.run}-tok-${i}`;
      state.tokens.sent.add(name);
      return {
        label: 'POST /tokens',
        method: 'POST',
        path: '/api/v1/tokens',
        token: who.steady.secret,
        ws: s.id,
        body: { name, scopes: ['read'], expires_in_days: 1 },
        onAnswer(status, json, key) {
          if (status !== 201) {
            state.tokens.refused.set(name, key);
            return;
          }
          const ref: TokenRef = {
            id: str(json, 'id'),
            secret: str(json, 'token'),
            ws: s.index,
            userId: who.id,
            createdAt: Date.now(),
          };
          state.tokens.created.set(name, ref);
          state.revokeQueue.push(ref);
          state.usable.push(ref);
        },
      };
    },
  };
  const tokenRevoke: Scenario = {
    name: 'token-revoke',
    connections: 2,
    allowed: { 'DELETE /tokens/:id': ['204'], 'GET /tokens?state=active&all=true': ['200'] },
    next(_seq, now) {
      let target: TokenRef | undefined;
      if (now < state.drainAt) {
        if (now >= state.doomedAt && state.doomedQueue.length > 0) {
          target = state.doomedQueue.shift();
        } else if (
          state.revokeQueue.length > 0 &&
          now - state.revokeQueue[0].createdAt >= REVOKE_AFTER_MS
        ) {
          target = state.revokeQueue.shift();
        }
      }
      if (target) {
        const t = target;
        const s = spaces[t.ws];
        state.revokeSent.set(t.id, state.clock);
        return {
          label: 'DELETE /tokens/:id',
          method: 'DELETE',
          path: `/api/v1/tokens/${t.id}`,
          token: s.owner.steady.secret,
          ws: s.id,
          onAnswer(status) {
            if (status === 204) {
              state.revokeConfirmed.set(t.id, ++state.clock);
            }
          },
        };
      }
      // Nothing due: the owner's view of active tokens, an in-load check of the limit.
      const s = spaces[lists++ % W];
      return {
        label: 'GET /tokens?state=active&all=true',
        method: 'GET',
        path: '/api/v1/tokens?state=active&all=true&limit=100',
        token: s.owner.steady.secret,
        ws: s.id,
        onAnswer(status, json) {
          if (status === 200 && typeof json.total_count === 'number') {
            const seen = state.maxActiveApi.get(s.index) ?? 0;
            state.maxActiveApi.set(s.index, Math.max(seen, json.total_count));
          }
        },
      };
    },
  };
  const tokenUse: Scenario = {
    name: 'token-use',
    connections: 4,
    allowed: { 'GET /projects (token under revocation)': ['200', '401 token_revoked'] },
    next(seq) {
      // Mostly the newest tokens (the ones about to be revoked), sometimes any of them.
      const recent = state.usable.slice(-6);
      const t = Math.random() < 0.7 ? pick(recent) : pick(state.usable);
      const s = spaces[t.ws];
      return {
        label: 'GET /projects (token under revocation)',
        method: 'GET',
        path: '/api/v1/projects?limit=5',
        token: t.secret,
        ws: s.id,
        onAnswer(status, json, key) {
          state.tokenUses += 1;
          const confirmed = state.revokeConfirmed.get(t.id);
          if (status === 200 && confirmed !== undefined && confirmed < seq) {
            state.violations.push(
              `token ${t.id} accepted (200) on a request sent after its DELETE returned 204`,
            );
          }
          if (key === '401 token_revoked' && !state.revokeSent.has(t.id)) {
            state.violations.push(`token ${t.id} refused as revoked before any DELETE was sent`);
          }
          if (key === '401 token_revoked' && confirmed !== undefined && confirmed < seq) {
            state.refusedAfterRevoke += 1;
          }
        },
      };
    },
  };
  return [read, write, tokenCreate, tokenRevoke, tokenUse];
}

export function toRequest(scenario: Scenario, state: LoadState, stats: Stats): autocannon.Request {
  return {
    setupRequest: (req, context) => {
      const ctx = context as Ctx;
      let step: Step;
      try {
        step = scenario.next(++state.clock, Date.now());
      } catch (error) {
        state.harnessErrors.push(`${scenario.name}: ${(error as Error).message}`);
        step = drain();
      }
      ctx.step = step;
      stats.sent(scenario.name, step.label);
      const headers: Record<string, string> = {};
      if (step.token) {
        headers.authorization = `Bearer ${step.token}`;
      }
      if (step.ws) {
        headers['x-workspace-id'] = step.ws;
      }
      if (step.body) {
        headers['content-type'] = 'application/json';
      }
      return {
        ...req,
        method: step.method,
        path: step.path,
        headers,
        body: step.body ? JSON.stringify(step.body) : '',
      };
    },
    onResponse: (status, body, context) => {
      const step = (context as Ctx).step;
      if (!step) {
        state.harnessErrors.push(`${scenario.name}: a response without its request`);
        return;
      }
      let json: Json = {};
      try {
        const parsed: unknown = JSON.parse(body);
        json = typeof parsed === 'object' && parsed !== null ? (parsed as Json) : {};
      } catch {
        // not JSON (e.g. an empty 204)
      }
      const key =
        status < 300
          ? String(status)
          : `${status} ${typeof json.code === 'string' ? json.code : '?'}`;
      stats.answer(scenario.name, step.label, key);
      try {
        step.onAnswer?.(status, json, key);
      } catch (error) {
        state.harnessErrors.push(`${scenario.name}: ${(error as Error).message}`);
      }
    },
  };
}
