import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** SPEC §11.4: the outbox of token lifecycle events (webhooks and e-mail are sent from it). */
export class LifecycleEvents1764900000000 implements MigrationInterface {
  name = 'LifecycleEvents1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    await queryRunner.createTable(
      new Table({
        name: 'lifecycle_events',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'workspace_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'data', type: 'text' },
          { name: 'created_at', type: 'datetime', precision: mysql ? 3 : undefined },
        ],
      }),
    );
    await queryRunner.createIndices('lifecycle_events', [
      new TableIndex({
        name: 'idx_lifecycle_events_workspace',
        columnNames: ['workspace_id', 'created_at'],
      }),
      new TableIndex({ name: 'idx_lifecycle_events_created', columnNames: ['created_at'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('lifecycle_events');
  }
}
