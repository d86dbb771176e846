import { MigrationInterface, QueryRunner, Table } from 'typeorm';

const STATUSES = ['open', 'in_progress', 'done', 'closed'];

/** Counter rows per project and status (src/issues/issue-counts.ts: ISSUE_COUNT_SLOTS). */
const SLOTS = 8;

/** Indexes that give every list shape its page in ORDER BY order (created_at, id). */
const NEW_INDEXES: Array<[string, string]> = [
  ['idx_issues_project_status', 'workspace_id, project_id, status, created_at, id'],
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
 * matching row. `issue_counts` holds, per project and status, SLOTS rows whose `n` add up to
 * how many of the project's issues have that status; every issue create, status change and
 * delete changes one of them (a random slot, so that concurrent writers to one project rarely
 * wait for each other) in the same transaction (src/issues/issue-counts.ts). The rows go with
 * their project (ON DELETE CASCADE). Backfilled here: every slot for every project, slot 0
 * holding the count of the issues that exist.
 *
 * The page itself: the filter shapes project, project and status, status, and assignee each
 * get an index that yields their rows in the list's order, so offset 0 reads `limit` rows
 * instead of sorting every match. No `(workspace_id, created_at)` index: MariaDB takes it for a
 * project's list (it satisfies the ORDER BY) and then walks the whole workspace to find the
 * project's rows (`id` is the tie-breaker, which InnoDB appends anyway and
 * SQLite, whose indexes end in the rowid, needs).
 */
export class IssueCounts1765000000500 implements MigrationInterface {
  name = 'IssueCounts1765000000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'issue_counts',
        columns: [
          { name: 'project_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'status', type: 'varchar', length: '16', isPrimary: true },
          { name: 'slot', type: 'int', isPrimary: true },
          { name: 'workspace_id', type: 'varchar', length: '36' },
          { name: 'n', type: 'int', default: 0 },
        ],
        indices: [{ name: 'idx_issue_counts_workspace', columnNames: ['workspace_id', 'status'] }],
        foreignKeys: [
          {
            columnNames: ['project_id'],
            referencedTableName: 'projects',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    const statuses = STATUSES.map((s) => `SELECT '${s}' AS status`).join(' UNION ALL ');
    const slots = Array.from({ length: SLOTS }, (_, i) => `SELECT ${i} AS slot`).join(
      ' UNION ALL ',
    );
    await queryRunner.query(
      `INSERT INTO issue_counts (project_id, status, slot, workspace_id, n)
       SELECT p.id, s.status, k.slot, p.workspace_id, 0
       FROM projects p CROSS JOIN (${statuses}) s CROSS JOIN (${slots}) k`,
    );
    await queryRunner.query(
      `UPDATE issue_counts SET n = (SELECT COUNT(*) FROM issues
         WHERE issues.project_id = issue_counts.project_id AND issues.status = issue_counts.status)
       WHERE slot = 0`,
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
    await queryRunner.dropTable('issue_counts');
  }
}
