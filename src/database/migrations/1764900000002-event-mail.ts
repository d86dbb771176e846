import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/** SPEC §11.4: which lifecycle events have been e-mailed to the token's owner. */
export class EventMail1764900000002 implements MigrationInterface {
  name = 'EventMail1764900000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    await queryRunner.addColumns('lifecycle_events', [
      new TableColumn({
        name: 'mailed_at',
        type: 'datetime',
        precision: mysql ? 3 : undefined,
        isNullable: true,
      }),
      new TableColumn({ name: 'mail_attempts', type: 'int', default: 0 }),
    ]);
    await queryRunner.createIndex(
      'lifecycle_events',
      new TableIndex({
        name: 'idx_lifecycle_events_mail',
        columnNames: ['mailed_at', 'created_at'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('lifecycle_events', 'idx_lifecycle_events_mail');
    await queryRunner.dropColumn('lifecycle_events', 'mail_attempts');
    await queryRunner.dropColumn('lifecycle_events', 'mailed_at');
  }
}
