import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * SPEC §11.1 and §11.4: a token's address allow-list and project restriction (JSON arrays;
 * null = no restriction), and why a revoked token was revoked. Tokens revoked before this
 * migration get `rotated` when they were replaced, else `manual`.
 */
export class TokenRestrictions1764800000000 implements MigrationInterface {
  name = 'TokenRestrictions1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('api_tokens', [
      new TableColumn({ name: 'allowed_cidrs', type: 'text', isNullable: true }),
      new TableColumn({ name: 'project_ids', type: 'text', isNullable: true }),
      new TableColumn({ name: 'revoked_reason', type: 'varchar', length: '32', isNullable: true }),
    ]);
    await queryRunner.query(
      `UPDATE api_tokens SET revoked_reason = CASE WHEN replaced_by_id IS NULL THEN 'manual' ELSE 'rotated' END
       WHERE revoked_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['revoked_reason', 'project_ids', 'allowed_cidrs']) {
      await queryRunner.dropColumn('api_tokens', column);
    }
  }
}
