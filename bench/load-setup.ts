// The world bench/load.ts puts under load, built through the API: users, workspaces on a plan
// with a small token limit, members, projects, seed issues, tokens — and a parallel burst of
// token creations into the limit.
import { Api, basic, Json, Space, str, num, TokenRef } from './load-model';

export const ADMIN_PASSWORD = 'load-admin-password';
const USER_PASSWORD = 'load-user-password';
export const PLAN = 'pro';
const WORKSPACES = 3;
/** Parallel POST /tokens per workspace in the burst (all workspaces at once). */
const BURST = 12;

/** What the burst got in one workspace. */
export interface BurstOutcome {
  room: number;
  created: TokenRef[];
  refused: number;
  other: string[];
}

export interface World {
  spaces: Space[];
  burst: BurstOutcome[];
  /** Burst tokens beyond the two doomed ones per workspace, revoked before the load. */
  revokedInSetup: TokenRef[];
}

export async function setup(api: Api, run: string): Promise<World> {
  const admin = basic('admin', ADMIN_PASSWORD);
  const spaces: Space[] = [];
  for (let w = 0; w < WORKSPACES; w++) {
    const user = async (role: string): Promise<{ id: string; username: string }> => {
      const username = `${run}-${role}-${w}`;
      const created = await api.expect(201, 'POST', '/api/v1/admin/users', {
        auth: admin,
        body: { username, email: `${username}@example.test`, password: USER_PASSWORD },
      });
      return { id: str(created, 'id'), username };
    };
    const owner = await user('owner');
    const member = await user('member');
    const ownerPw = basic(owner.username, USER_PASSWORD);
    const memberPw = basic(member.username, USER_PASSWORD);
    const id = str(
      await api.expect(201, 'POST', '/api/v1/workspaces', {
        auth: ownerPw,
        body: { name: `Load ${w}` },
      }),
      'id',
    );
    const limit = num(
      await api.expect(200, 'PATCH', `/api/v1/admin/workspaces/${id}`, {
        auth: admin,
        body: { plan: PLAN, token_packs: 0 },
      }),
      'token_limit',
    );
    if (limit < 5) {
      throw new Error(`plan ${PLAN} allows ${limit} tokens; the load needs at least 5`);
    }
    await api.expect(201, 'POST', `/api/v1/workspaces/${id}/members`, {
      auth: ownerPw,
      body: { user_id: member.id, role: 'member' },
    });
    const steady = async (
      auth: string,
      userId: string,
      who: string,
      scopes: string[],
    ): Promise<TokenRef> => {
      const t = await api.expect(201, 'POST', '/api/v1/tokens', {
        auth,
        ws: id,
        body: { name: `${run}-steady-${who}-${w}`, scopes, expires_in_days: 30 },
      });
      return tokenRef(t, w, userId);
    };
    // Two tokens that live through the whole run (readers, writers, creators, revokers).
    const ownerSteady = await steady(ownerPw, owner.id, 'owner', ['read', 'write', 'delete']);
    const memberSteady = await steady(memberPw, member.id, 'member', ['read', 'write']);
    const space: Space = {
      index: w,
      id,
      limit,
      owner: { ...owner, steady: ownerSteady },
      member: { ...member, steady: memberSteady },
      projects: [],
      issues: [],
      doomed: [],
    };
    for (let p = 0; p < 2; p++) {
      const projectId = str(
        await api.expect(201, 'POST', '/api/v1/projects', {
          token: ownerSteady.secret,
          ws: id,
          body: { name: `Load ${w}.${p}`, identifier: `load-${w}-${p}` },
        }),
        'id',
      );
      space.projects.push(projectId);
      for (let i = 0; i < 3; i++) {
        const issue = await api.expect(201, 'POST', `/api/v1/projects/${projectId}/issues`, {
          token: ownerSteady.secret,
          ws: id,
          body: { subject: `seed ${w}.${p}.${i}` },
        });
        space.issues.push(str(issue, 'id'));
      }
    }
    spaces.push(space);
  }

  // The burst: every workspace has limit - 2 free slots; BURST creations per workspace, all in
  // parallel, must yield exactly that many 201s and 409 token_limit_reached for the rest.
  const burst = await Promise.all(
    spaces.map(async (s): Promise<BurstOutcome> => {
      const answers = await Promise.all(
        Array.from({ length: BURST }, (_, i) => {
          const who = i % 2 === 0 ? s.owner : s.member;
          return api
            .call('POST', '/api/v1/tokens', {
              token: who.steady.secret,
              ws: s.id,
              body: { name: `${run}-burst-${s.index}-${i}`, scopes: ['read'], expires_in_days: 7 },
            })
            .then((answer) => ({ answer, who }));
        }),
      );
      const outcome: BurstOutcome = { room: s.limit - 2, created: [], refused: 0, other: [] };
      for (const { answer, who } of answers) {
        if (answer.status === 201) {
          outcome.created.push(tokenRef(answer.json, s.index, who.id));
        } else if (answer.status === 409 && answer.json.code === 'token_limit_reached') {
          outcome.refused += 1;
        } else {
          outcome.other.push(`${answer.status} ${answer.text.slice(0, 120)}`);
        }
      }
      return outcome;
    }),
  );
  // Two burst tokens per workspace become the doomed ones: revoked mid-run while token-use
  // connections keep sending them. The others are revoked now, leaving one slot free (limit - 1
  // active) for the token-create connections.
  const revokedInSetup: TokenRef[] = [];
  for (const s of spaces) {
    const created = burst[s.index].created;
    s.doomed = created.slice(0, 2);
    for (const extra of created.slice(Math.max(2, s.limit - 3))) {
      await api.expect(204, 'DELETE', `/api/v1/tokens/${extra.id}`, {
        token: s.owner.steady.secret,
        ws: s.id,
      });
      revokedInSetup.push(extra);
    }
  }
  return { spaces, burst, revokedInSetup };
}

function tokenRef(json: Json, ws: number, userId: string): TokenRef {
  return { id: str(json, 'id'), secret: str(json, 'token'), ws, userId, createdAt: Date.now() };
}
