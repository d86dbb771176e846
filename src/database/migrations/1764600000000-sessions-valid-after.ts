import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Web sessions are encrypted cookies with no server-side record; this instant lets the server
 * end them anyway: a session signed in before it no longer counts (set on a password change).
 */
export class SessionsValidAfter1764600000000 implements MigrationInterface {
  name = 'SessionsValidAfter1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
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
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('users', 'sessions_valid_after');
  }
}
