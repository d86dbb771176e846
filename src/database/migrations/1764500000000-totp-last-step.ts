import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * The last TOTP step a user's code was accepted for (RFC 6238 §5.2: a code works once). Kept in
 * the database so that a code cannot be replayed on another instance or after a restart.
 */
export class TotpLastStep1764500000000 implements MigrationInterface {
  name = 'TotpLastStep1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'users',
      new TableColumn({ name: 'totp_last_step', type: 'bigint', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('users', 'totp_last_step');
  }
}
