import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * SPEC §11.4: the scheduler's leases (one row per job: whoever holds it runs the job, once
 * across instances) and how far each token's expiry notices have gone (0 none, 1 the 7-day
 * notice, 2 the 1-day notice, 3 token.expired), so that each is sent once, across restarts.
 */
export class Scheduler1764900000001 implements MigrationInterface {
  name = 'Scheduler1764900000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    await queryRunner.createTable(
      new Table({
        name: 'scheduler_leases',
        columns: [
          { name: 'job', type: 'varchar', length: '64', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '64', isNullable: true },
          {
            name: 'lease_until',
            type: 'datetime',
            precision: mysql ? 3 : undefined,
            isNullable: true,
          },
          {
            name: 'last_run_at',
            type: 'datetime',
            precision: mysql ? 3 : undefined,
            isNullable: true,
          },
        ],
      }),
    );
    await queryRunner.addColumn(
      'api_tokens',
      new TableColumn({ name: 'expiry_notice_stage', type: 'int', default: 0 }),
    );
    // Tokens already past a notice point when this version starts are not notified late:
    // expired ones are done, the rest get the notices still ahead of them.
    await queryRunner.query(
      mysql
        ? 'UPDATE api_tokens SET expiry_notice_stage = 3 WHERE expires_at <= UTC_TIMESTAMP(3)'
        : "UPDATE api_tokens SET expiry_notice_stage = 3 WHERE expires_at <= strftime('%Y-%m-%d %H:%M:%f', 'now')",
    );
    await queryRunner.createIndex(
      'api_tokens',
      new TableIndex({ name: 'idx_api_tokens_expiry', columnNames: ['expires_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('api_tokens', 'idx_api_tokens_expiry');
    await queryRunner.dropColumn('api_tokens', 'expiry_notice_stage');
    await queryRunner.dropTable('scheduler_leases');
  }
}
