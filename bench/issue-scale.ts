// The issue list at scale (issue 16 point 6): the same `GET /api/v1/issues?project_id=` against a
// project of 1,000 issues and one of 200,000, seeded by bulk INSERTs straight into the bench
// database (not 200,000 HTTP calls). The target: the 200k project within 20 % of the 1k one.
import { randomUUID } from 'node:crypto';
import { Connection } from 'mysql2/promise';
import { ISSUE_STATUSES } from '../src/issues/entities/issue.entity';
import { ISSUE_COUNT_SLOTS } from '../src/issues/issue-counts';

export const ISSUE_SCALE_SIZES = [1_000, 200_000] as const;

/** The shape of run.ts's scenarios (kept structural so the two files merge independently). */
export interface ScaleScenario {
  name: string;
  method: 'GET';
  path: string;
  headers: Record<string, string>;
  expect: number;
}

export interface ScaleProjects {
  /** Project id per size, in ISSUE_SCALE_SIZES order. */
  projectIds: string[];
}

/** Creates one project per size in the workspace, its issues spread evenly over the statuses. */
export async function seedIssueScale(
  conn: Connection,
  workspaceId: string,
  authorId: string,
): Promise<ScaleProjects> {
  const base = Date.now() - 30 * 86_400_000;
  const projectIds: string[] = [];
  for (const size of ISSUE_SCALE_SIZES) {
    const projectId = randomUUID();
    const created = new Date(base);
    await conn.query(
      'INSERT INTO projects (id, workspace_id, name, identifier, description, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?)',
      [projectId, workspaceId, `Scale ${size}`, `scale${size}`, created, created],
    );
    const chunk = 5_000;
    for (let start = 0; start < size; start += chunk) {
      const rows: unknown[][] = [];
      for (let i = start; i < Math.min(size, start + chunk); i++) {
        const at = new Date(base + i * 10);
        rows.push([
          randomUUID(),
          workspaceId,
          projectId,
          `Scale issue ${i}`,
          null,
          ISSUE_STATUSES[i % ISSUE_STATUSES.length],
          'normal',
          null,
          authorId,
          at,
          at,
        ]);
      }
      await conn.query(
        'INSERT INTO issues (id, workspace_id, project_id, subject, description, status, priority, assignee_id, author_id, created_at, updated_at) VALUES ?',
        [rows],
      );
    }
    projectIds.push(projectId);
  }
  await recountIssues(conn);
  return { projectIds };
}

/**
 * Projects and issues inserted behind the application's back (the bench seeds) have no issue
 * counters: make them as the migration that introduced them does (every slot, slot 0 holding
 * the count). A no-op on a schema without them.
 */
export async function recountIssues(conn: Connection): Promise<void> {
  const [tables] = await conn.query<Array<import('mysql2').RowDataPacket>>(
    "SHOW TABLES LIKE 'issue_counts'",
  );
  if (tables.length === 0) {
    return;
  }
  const statuses = ISSUE_STATUSES.map((s) => `SELECT '${s}' AS status`).join(' UNION ALL ');
  const slots = Array.from({ length: ISSUE_COUNT_SLOTS }, (_, i) => `SELECT ${i} AS slot`).join(
    ' UNION ALL ',
  );
  await conn.query('DELETE FROM issue_counts');
  await conn.query(
    `INSERT INTO issue_counts (project_id, status, slot, workspace_id, n)
     SELECT p.id, s.status, k.slot, p.workspace_id, 0
     FROM projects p CROSS JOIN (${statuses}) s CROSS JOIN (${slots}) k`,
  );
  await conn.query(
    `UPDATE issue_counts c JOIN (SELECT project_id, status, COUNT(*) AS n FROM issues GROUP BY project_id, status) i
       ON i.project_id = c.project_id AND i.status = c.status
     SET c.n = i.n WHERE c.slot = 0`,
  );
}

/** Two pairs: the default page, and the page filtered by status. */
export function issueScaleScenarios(
  scale: ScaleProjects,
  headers: Record<string, string>,
): ScaleScenario[] {
  const filters = [
    { label: '', query: '' },
    { label: '&status=open', query: '&status=open' },
  ];
  return filters.flatMap(({ label, query }) =>
    ISSUE_SCALE_SIZES.map((size, i) => ({
      name: `GET /issues?project_id${label} (${size / 1000}k issues)`,
      method: 'GET' as const,
      path: `/api/v1/issues?project_id=${scale.projectIds[i]}${query}`,
      headers,
      expect: 200,
    })),
  );
}

/** "issue list 200k vs 1k: 0.95x" lines (and ratios) from run.ts's summary rows. */
export function issueScaleRatios(
  summary: Array<{ scenario: string; target: string; rps_median: number }>,
): Record<string, number | null> {
  const rps = (name: string): number | undefined =>
    summary.find((r) => r.scenario === name && r.target === 'tessera')?.rps_median;
  const out: Record<string, number | null> = {};
  for (const label of ['', '&status=open']) {
    const small = rps(`GET /issues?project_id${label} (1k issues)`);
    const large = rps(`GET /issues?project_id${label} (200k issues)`);
    out[`issue_list${label ? '_status' : ''}_200k_vs_1k`] = small && large ? large / small : null;
  }
  return out;
}
