import { EntityManager } from 'typeorm';
import { ISSUE_STATUSES, IssueStatus } from './entities/issue.entity';

/**
 * Per-project issue counters, one column of `projects` per status (migration 1764950000000).
 *
 * `GET /api/v1/issues` must answer an exact `total_count` (SPEC §3). Counting the matching rows
 * costs as much as the project is large; reading these counters costs as much as the number of
 * projects the list covers (one, with `project_id`). They stay exact because every change to
 * the issues is made in a transaction that changes them too, and always takes the project's
 * row first (the counter UPDATE), then the issue's: one lock order for create, status change
 * and delete, and the same as deleting the project (whose issues and counters go together), so
 * concurrent writers queue on the project row instead of deadlocking.
 */
export const COUNTER_COLUMNS: Readonly<Record<IssueStatus, string>> = {
  open: 'issues_open',
  in_progress: 'issues_in_progress',
  done: 'issues_done',
  closed: 'issues_closed',
};

/** The SQL (with its parameters) of a scalar subquery that yields a list's total. */
export interface TotalSql {
  sql: string;
  params: readonly unknown[];
}

/**
 * The total of the issues matching a list's filters, read from the counters; undefined when
 * the filters are ones the counters do not keep (an assignee), which only a COUNT answers.
 * `projectIds`: one project, the projects a restricted token reaches, or undefined for the
 * whole workspace. An issue is always in its project's workspace, so the workspace condition
 * on the projects is the one on the issues.
 */
export function countedTotal(filters: {
  workspaceId: string;
  projectIds: string | readonly string[] | undefined;
  status: IssueStatus | undefined;
  assigneeId: string | undefined;
}): TotalSql | undefined {
  if (filters.assigneeId !== undefined) {
    return undefined;
  }
  const { projectIds, status } = filters;
  const counted = status
    ? COUNTER_COLUMNS[status]
    : ISSUE_STATUSES.map((s) => COUNTER_COLUMNS[s]).join(' + ');
  let condition = '';
  let params: unknown[] = [filters.workspaceId];
  if (typeof projectIds === 'string') {
    condition = ' AND id = ?';
    params.push(projectIds);
  } else if (projectIds !== undefined) {
    if (projectIds.length === 0) {
      return { sql: 'SELECT 0', params: [] };
    }
    condition = ` AND id IN (${projectIds.map(() => '?').join(', ')})`;
    params = [...params, ...projectIds];
  }
  return {
    sql: `SELECT COALESCE(SUM(${counted}), 0) FROM projects WHERE workspace_id = ?${condition}`,
    params,
  };
}

/** Rows an INSERT/UPDATE/DELETE changed (both drivers report it in their structured result). */
export async function affected(
  manager: EntityManager,
  sql: string,
  params: readonly unknown[],
): Promise<number> {
  const runner = manager.queryRunner;
  if (!runner) {
    throw new Error('affected() runs inside a transaction');
  }
  const result = await runner.query(sql, [...params], true);
  return result.affected ?? 0;
}

/**
 * Adds `by` (±1) issues of `status` to the project, taking the project's row lock; false when
 * the project is not in the workspace (any more).
 */
export async function countIssue(
  manager: EntityManager,
  workspaceId: string,
  projectId: string,
  status: IssueStatus,
  by: 1 | -1,
): Promise<boolean> {
  const column = COUNTER_COLUMNS[status];
  const changed = await affected(
    manager,
    `UPDATE projects SET ${column} = ${column} ${by > 0 ? '+' : '-'} 1 WHERE id = ? AND workspace_id = ?`,
    [projectId, workspaceId],
  );
  return changed === 1;
}

/** Moves one issue of the project from one status's counter to another's (row lock taken). */
export async function moveIssue(
  manager: EntityManager,
  projectId: string,
  from: IssueStatus,
  to: IssueStatus,
): Promise<void> {
  const a = COUNTER_COLUMNS[from];
  const b = COUNTER_COLUMNS[to];
  await affected(manager, `UPDATE projects SET ${a} = ${a} - 1, ${b} = ${b} + 1 WHERE id = ?`, [
    projectId,
  ]);
}
