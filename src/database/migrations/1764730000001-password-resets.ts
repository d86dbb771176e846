import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

/**
 * One-time password reset links an admin hands to a user (SPEC §12): valid 1 hour, used once;
 * only the SHA-256 of the link's secret is kept.
 */
export class PasswordResets1764730000001 implements MigrationInterface {
  name = 'PasswordResets1764730000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    const date = (name: string, nullable = false): TableColumnOptions => ({
      name,
      type: 'datetime',
      precision: mysql ? 3 : undefined,
      isNullable: nullable,
    });
    await queryRunner.createTable(
      new Table({
        name: 'password_resets',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'secret_hash', type: 'varchar', length: '64' },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'created_by', type: 'varchar', length: '36', isNullable: true },
          date('created_at'),
          date('expires_at'),
          date('used_at', true),
        ],
        uniques: [{ name: 'uq_password_resets_secret_hash', columnNames: ['secret_hash'] }],
        indices: [{ name: 'idx_password_resets_user', columnNames: ['user_id'] }],
        foreignKeys: [
          {
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('password_resets');
  }
}
