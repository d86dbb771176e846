import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** A token's own request limit per window (null: the instance default). */
export class TokenRateLimit1764400000000 implements MigrationInterface {
  name = 'TokenRateLimit1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'api_tokens',
      new TableColumn({ name: 'rate_limit', type: 'int', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('api_tokens', 'rate_limit');
  }
}
