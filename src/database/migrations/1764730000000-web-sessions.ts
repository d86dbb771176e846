import { MigrationInterface, QueryRunner, Table, TableColumn, TableColumnOptions } from 'typeorm';

/**
 * Server-side web sessions (SPEC §12): the cookie carries a random secret, the row keeps only its
 * SHA-256, so that signing out, a lock or a password change ends a session on every instance at
 * once. Replaces users.sessions_valid_after, which could only end all of a user's sessions.
 */
export class WebSessions1764730000000 implements MigrationInterface {
  name = 'WebSessions1764730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    const date = (name: string): TableColumnOptions => ({
      name,
      type: 'datetime',
      precision: mysql ? 3 : undefined,
    });
    await queryRunner.createTable(
      new Table({
        name: 'web_sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'secret_hash', type: 'varchar', length: '64' },
          { name: 'user_id', type: 'varchar', length: '36' },
          date('created_at'),
          date('last_seen_at'),
          date('expires_at'),
          date('authenticated_at'),
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '255', isNullable: true },
        ],
        uniques: [{ name: 'uq_web_sessions_secret_hash', columnNames: ['secret_hash'] }],
        indices: [{ name: 'idx_web_sessions_user', columnNames: ['user_id'] }],
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
    // Through TypeORM, not a plain ALTER TABLE: the query runner keeps its own picture of the
    // users table, and a later migration in the same run (1764740000000, which rebuilds the
    // table on SQLite to add login_key) must not bring the dropped column back from it.
    await queryRunner.dropColumn('users', 'sessions_valid_after');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    await queryRunner.addColumn(
      'users',
      new TableColumn({
        name: 'sessions_valid_after',
        type: 'datetime',
        precision: mysql ? 3 : undefined,
        isNullable: true,
      }),
    );
    await queryRunner.dropTable('web_sessions');
  }
}
