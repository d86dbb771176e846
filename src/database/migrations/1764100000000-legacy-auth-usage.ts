import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class LegacyAuthUsage1764100000000 implements MigrationInterface {
  name = 'LegacyAuthUsage1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'legacy_auth_usage',
        columns: [
          { name: 'user_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'use_count', type: 'int', default: 0 },
          { name: 'first_used_at', type: 'datetime' },
          { name: 'last_used_at', type: 'datetime' },
          { name: 'last_ip', type: 'varchar', length: '45', isNullable: true },
          { name: 'last_user_agent', type: 'varchar', length: '255', isNullable: true },
        ],
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
    await queryRunner.dropTable('legacy_auth_usage');
  }
}
