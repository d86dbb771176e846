import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * SPEC §11.4: webhooks and their delivery outbox. `lifecycle_events.fanned_out_at` marks an
 * event whose deliveries have been made (set in the same transaction as the deliveries, by a
 * conditional update, so that one instance alone fans each event out). Events recorded before
 * webhooks existed had no webhook to go to: they are marked as fanned out.
 */
export class Webhooks1764900000010 implements MigrationInterface {
  name = 'Webhooks1764900000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    const precision = mysql ? 3 : undefined;
    await queryRunner.createTable(
      new Table({
        name: 'webhooks',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'workspace_id', type: 'varchar', length: '36' },
          { name: 'url', type: 'varchar', length: '2048' },
          { name: 'events', type: 'varchar', length: '255' },
          { name: 'active', type: 'boolean', default: true },
          { name: 'secret', type: 'text' },
          { name: 'created_by', type: 'varchar', length: '36', isNullable: true },
          { name: 'created_at', type: 'datetime', precision },
          { name: 'updated_at', type: 'datetime', precision },
        ],
        foreignKeys: [
          {
            columnNames: ['workspace_id'],
            referencedTableName: 'workspaces',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await queryRunner.createIndex(
      'webhooks',
      new TableIndex({
        name: 'idx_webhooks_workspace',
        columnNames: ['workspace_id', 'created_at'],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'webhook_id', type: 'varchar', length: '36' },
          { name: 'event_id', type: 'varchar', length: '36' },
          { name: 'event_type', type: 'varchar', length: '64' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'int', default: 0 },
          { name: 'next_attempt_at', type: 'datetime', precision, isNullable: true },
          { name: 'last_status_code', type: 'int', isNullable: true },
          { name: 'last_error', type: 'varchar', length: '500', isNullable: true },
          { name: 'last_attempt_at', type: 'datetime', precision, isNullable: true },
          { name: 'delivered_at', type: 'datetime', precision, isNullable: true },
          { name: 'claimed_until', type: 'datetime', precision, isNullable: true },
          { name: 'claimed_by', type: 'varchar', length: '64', isNullable: true },
          { name: 'created_at', type: 'datetime', precision },
        ],
        foreignKeys: [
          {
            columnNames: ['webhook_id'],
            referencedTableName: 'webhooks',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await queryRunner.createIndices('webhook_deliveries', [
      new TableIndex({
        name: 'uq_webhook_deliveries_webhook_event',
        columnNames: ['webhook_id', 'event_id'],
        isUnique: true,
      }),
      new TableIndex({
        name: 'idx_webhook_deliveries_webhook_created',
        columnNames: ['webhook_id', 'created_at'],
      }),
      new TableIndex({
        name: 'idx_webhook_deliveries_due',
        columnNames: ['state', 'next_attempt_at'],
      }),
    ]);
    await queryRunner.addColumn(
      'lifecycle_events',
      new TableColumn({ name: 'fanned_out_at', type: 'datetime', precision, isNullable: true }),
    );
    await queryRunner.query('UPDATE lifecycle_events SET fanned_out_at = created_at');
    await queryRunner.createIndex(
      'lifecycle_events',
      new TableIndex({
        name: 'idx_lifecycle_events_fan_out',
        columnNames: ['fanned_out_at', 'created_at'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('lifecycle_events', 'idx_lifecycle_events_fan_out');
    await queryRunner.dropColumn('lifecycle_events', 'fanned_out_at');
    await queryRunner.dropTable('webhook_deliveries');
    await queryRunner.dropTable('webhooks');
  }
}
