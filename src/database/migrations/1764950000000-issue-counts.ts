import { MigrationInterface, QueryRunner } from 'typeorm';

/** One counter column per issue status (the order of ISSUE_STATUSES). */
const COUNTERS: Array<[string, string]> = [
  ['issues_open', 'open'],
  ['issues_in_progress', 'in_progress'],
  ['issues_done', 'done'],
  ['issues_closed', 'closed'],
];

/** Indexes that give every list shape its page in ORDER BY order (created_at, id). */
const NEW_INDEXES: Array<[string, string]> = [
  ['idx_issues_project_status', 'workspace_id, project_id, status, created_at, id'],
  ['idx_issues_workspace_created', 'workspace_id, created_at, id'],
];

/** [name, columns before, columns after]. */
const WIDENED_INDEXES: Array<[string, string, string]> = [
  [
    'idx_issues_workspace_project',
    'workspace_id, project_id, created_at',
    'workspace_id, project_id, created_at, id',
  ],
  ['idx_issues_workspace_status', 'workspace_id, status', 'workspace_id, status, created_at, id'],
  [
    'idx_issues_workspace_assignee',
    'workspace_id, assignee_id',
    'workspace_id, assignee_id, created_at, id',
  ],
];

/** MySQL names the table in DROP INDEX; SQLite's index names are per database. */
function on(queryRunner: QueryRunner): string {
  return queryRunner.connection.options.type === 'mysql' ? ' ON issues' : '';
}

/**
 * Issue 16 point 6: `GET /api/v1/issues` keeps an exact `total_count` without counting every
 * matching row. Each project keeps how many of its issues are in each status, changed in the
 * same transaction as every issue create, status change and delete (its issues and their
 * counters go together when the project is deleted); the list reads the sum of the counters of
 * the projects it covers. Backfilled here from the issues that exist.
 *
 * The page itself: every filter shape (workspace; + project; + project and status; + status;
 * + assignee) has an index that yields its rows in the list's order, so offset 0 reads `limit`
 * rows instead of sorting every match (`id` is the tie-breaker, which InnoDB appends anyway and
 * SQLite, whose indexes end in the rowid, needs).
 */
export class IssueCounts1764950000000 implements MigrationInterface {
  name = 'IssueCounts1764950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Plain ALTER TABLE on both databases (TypeORM's addColumn rebuilds a SQLite table, and
    // dropping `projects` in that rebuild would cascade to its issues).
    for (const [column] of COUNTERS) {
      await queryRunner.query(
        `ALTER TABLE projects ADD COLUMN ${column} integer NOT NULL DEFAULT 0`,
      );
    }
    await queryRunner.query(
      `UPDATE projects SET ${COUNTERS.map(
        ([column, status]) =>
          `${column} = (SELECT COUNT(*) FROM issues WHERE issues.project_id = projects.id AND issues.status = '${status}')`,
      ).join(', ')}`,
    );
    for (const [name, columns] of NEW_INDEXES) {
      await queryRunner.query(`CREATE INDEX ${name} ON issues (${columns})`);
    }
    for (const [name, , after] of WIDENED_INDEXES) {
      await queryRunner.query(`DROP INDEX ${name}${on(queryRunner)}`);
      await queryRunner.query(`CREATE INDEX ${name} ON issues (${after})`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name, before] of WIDENED_INDEXES) {
      await queryRunner.query(`DROP INDEX ${name}${on(queryRunner)}`);
      await queryRunner.query(`CREATE INDEX ${name} ON issues (${before})`);
    }
    for (const [name] of NEW_INDEXES) {
      await queryRunner.query(`DROP INDEX ${name}${on(queryRunner)}`);
    }
    for (const [column] of COUNTERS) {
      await queryRunner.query(`ALTER TABLE projects DROP COLUMN ${column}`);
    }
  }
}
