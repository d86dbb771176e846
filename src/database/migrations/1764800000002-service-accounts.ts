import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * SPEC §11.5, service accounts: non-human users of one workspace.
 * - `users.type`: `human` (every existing user) or `service_account`.
 * - `users.password_hash` may be NULL: a service account has no password at all, so no
 *   password can ever match (the password check refuses an account without a hash).
 * - `service_accounts`: the workspace a service account belongs to (for good: it stays when
 *   the account is deleted), its display name, who created it and when, and when it was deleted.
 * - `audit_events.actor_type`: `user` or `service_account`, stored with the event so that it
 *   stays right whatever happens to the account later; existing events with an actor were
 *   all made by people.
 */
export class ServiceAccounts1764800000002 implements MigrationInterface {
  name = 'ServiceAccounts1764800000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    await queryRunner.addColumn(
      'users',
      new TableColumn({
        name: 'type',
        type: 'varchar',
        length: '16',
        isNullable: false,
        default: "'human'",
      }),
    );
    if (mysql) {
      await queryRunner.query('ALTER TABLE `users` MODIFY `password_hash` varchar(255) NULL');
    } else {
      // SQLite cannot drop NOT NULL in place: TypeORM rebuilds the table (its indexes included;
      // foreign keys are off while migrations run, so nothing that references users is touched).
      await queryRunner.changeColumn(
        'users',
        'password_hash',
        new TableColumn({
          name: 'password_hash',
          type: 'varchar',
          length: '255',
          isNullable: true,
        }),
      );
    }

    const date = (name: string, nullable = false) => ({
      name,
      type: 'datetime',
      precision: mysql ? 3 : undefined,
      isNullable: nullable,
    });
    await queryRunner.createTable(
      new Table({
        name: 'service_accounts',
        columns: [
          // The service account's users.id.
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'workspace_id', type: 'varchar', length: '36' },
          { name: 'name', type: 'varchar', length: '120' },
          { name: 'created_by', type: 'varchar', length: '36', isNullable: true },
          date('created_at'),
          { name: 'deleted_by', type: 'varchar', length: '36', isNullable: true },
          date('deleted_at', true),
        ],
        indices: [
          {
            name: 'idx_service_accounts_workspace',
            columnNames: ['workspace_id', 'deleted_at'],
          },
        ],
        foreignKeys: [
          {
            columnNames: ['id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            columnNames: ['workspace_id'],
            referencedTableName: 'workspaces',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );

    await queryRunner.addColumn(
      'audit_events',
      new TableColumn({ name: 'actor_type', type: 'varchar', length: '16', isNullable: true }),
    );
    await queryRunner.query(
      "UPDATE audit_events SET actor_type = 'user' WHERE actor_id IS NOT NULL",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    await queryRunner.dropColumn('audit_events', 'actor_type');
    await queryRunner.dropTable('service_accounts');
    // Service accounts cannot survive without their type and with a password required.
    await queryRunner.query("DELETE FROM users WHERE type = 'service_account'");
    if (mysql) {
      await queryRunner.query('ALTER TABLE `users` MODIFY `password_hash` varchar(255) NOT NULL');
    } else {
      await queryRunner.changeColumn(
        'users',
        'password_hash',
        new TableColumn({ name: 'password_hash', type: 'varchar', length: '255' }),
      );
    }
    await queryRunner.dropColumn('users', 'type');
  }
}
