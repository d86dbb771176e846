import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * SPEC §11.1 quotas: a token's quota (limit per UTC day or month), and the persisted count of
 * each token's periods, to which every instance adds what it counted, in batches.
 */
export class TokenQuotas1765000000300 implements MigrationInterface {
  name = 'TokenQuotas1765000000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('api_tokens', [
      new TableColumn({ name: 'quota_limit', type: 'int', isNullable: true }),
      new TableColumn({ name: 'quota_period', type: 'varchar', length: '8', isNullable: true }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'token_quota_usage',
        columns: [
          { name: 'token_id', type: 'varchar', length: '36', isPrimary: true },
          // day:2026-12-04 or month:2026-12
          { name: 'period_key', type: 'varchar', length: '16', isPrimary: true },
          { name: 'used', type: 'bigint', default: 0 },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('token_quota_usage');
    await queryRunner.dropColumn('api_tokens', 'quota_period');
    await queryRunner.dropColumn('api_tokens', 'quota_limit');
  }
}
