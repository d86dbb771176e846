import { randomInt } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ISSUE_STATUSES, IssueStatus } from './entities/issue.entity';

/**
 * Per-project issue counters (table `issue_counts`, migration 1765000000500).
 *
 * `GET /api/v1/issues` must answer an exact `total_count` (SPEC §3). Counting the matching rows
 * costs as much as the project is large; summing these counters costs as much as the number of
 * projects the list covers (ISSUE_COUNT_SLOTS rows per project and status).
 *
 * Each project has ISSUE_COUNT_SLOTS rows per status whose `n` add up to the number of its
 * issues with that status. A write changes one slot picked at random (a slot's `n` may go below
 * zero; only the sum means anything), so concurrent creates in one project rarely queue on the
 * same row lock, and commits are not serialized on one row.
 *
 * Exactness: every issue write changes a slot in the same transaction (create: +1; status
 * change: -1 on the old status, +1 on the new, one statement; delete: -1), and a status change
 * or delete reads the status under a lock of the issue's row (after a shared lock of the
 * project's row), so what it moves is what the issue has. Deleting a project deletes its issues
 * and its counter rows together (ON DELETE CASCADE). Lock order, for MariaDB: project (shared;
 * the foreign key check takes it for an insert), then the issue, then counter rows (one
 * statement, primary-key order); deleting a project takes the project exclusively first, so
 * it waits for the writers of its issues or they wait for it, never both.
 */
export const ISSUE_COUNT_SLOTS = 8;

/** The SQL (with its parameters) of a scalar subquery that yields a list's total. */
export interface TotalSql {
  sql: string;
  params: readonly unknown[];
}

/**
 * The total of the issues matching a list's filters, read from the counters; undefined when
 * the filters are ones the counters do not keep (an assignee), which only a COUNT answers.
 * `projectIds`: one project, the projects a restricted token reaches, or undefined for the
 * whole workspace. An issue is always in its project's workspace.
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
  let condition = '';
  let params: unknown[] = [filters.workspaceId];
  if (typeof projectIds === 'string') {
    condition = ' AND project_id = ?';
    params.push(projectIds);
  } else if (projectIds !== undefined) {
    if (projectIds.length === 0) {
      return { sql: 'SELECT 0', params: [] };
    }
    condition = ` AND project_id IN (${projectIds.map(() => '?').join(', ')})`;
    params = [...params, ...projectIds];
  }
  if (status) {
    condition += ' AND status = ?';
    params.push(status);
  }
  return {
    sql: `SELECT COALESCE(SUM(n), 0) FROM issue_counts WHERE workspace_id = ?${condition}`,
    params,
  };
}

/** The counter rows of a new project (in the transaction that creates it). */
export async function createCounters(
  manager: EntityManager,
  workspaceId: string,
  projectId: string,
): Promise<void> {
  const rows: string[] = [];
  const params: unknown[] = [];
  for (const status of ISSUE_STATUSES) {
    for (let slot = 0; slot < ISSUE_COUNT_SLOTS; slot++) {
      rows.push('(?, ?, ?, ?, 0)');
      params.push(projectId, status, slot, workspaceId);
    }
  }
  await manager.query(
    `INSERT INTO issue_counts (project_id, status, slot, workspace_id, n) VALUES ${rows.join(', ')}`,
    params,
  );
}

/** Adds `by` (±1) issues of `status` to the project's counters. */
export async function countIssue(
  manager: EntityManager,
  projectId: string,
  status: IssueStatus,
  by: 1 | -1,
): Promise<void> {
  await manager.query(
    `UPDATE issue_counts SET n = n ${by > 0 ? '+' : '-'} 1 WHERE project_id = ? AND status = ? AND slot = ?`,
    [projectId, status, randomInt(ISSUE_COUNT_SLOTS)],
  );
}

/** Moves one issue of the project from one status's counter to another's (one statement). */
export async function moveIssue(
  manager: EntityManager,
  projectId: string,
  from: IssueStatus,
  to: IssueStatus,
): Promise<void> {
  await manager.query(
    'UPDATE issue_counts SET n = n + CASE WHEN status = ? THEN 1 ELSE -1 END ' +
      'WHERE project_id = ? AND status IN (?, ?) AND slot = ?',
    [to, projectId, from, to, randomInt(ISSUE_COUNT_SLOTS)],
  );
}
