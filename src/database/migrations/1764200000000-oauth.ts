import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

const id = (): TableColumnOptions => ({
  name: 'id',
  type: 'varchar',
  length: '36',
  isPrimary: true,
});
const ref = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: '36',
  isNullable: nullable,
});
const date = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'datetime',
  isNullable: nullable,
});
const text = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const cascade = (column: string, table: string) => ({
  columnNames: [column],
  referencedTableName: table,
  referencedColumnNames: ['id'],
  onDelete: 'CASCADE',
});

export class OAuth1764200000000 implements MigrationInterface {
  name = 'OAuth1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'oauth_applications',
        columns: [
          id(),
          text('name', 120),
          text('client_id', 64),
          text('client_secret_hash', 64, true),
          { name: 'redirect_uris', type: 'text' },
          { name: 'scopes', type: 'text' },
          { name: 'confidential', type: 'boolean', default: true },
          ref('created_by', true),
          date('created_at'),
        ],
        uniques: [{ name: 'uq_oauth_applications_client_id', columnNames: ['client_id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'oauth_authorization_codes',
        columns: [
          id(),
          text('code_hash', 64),
          ref('application_id'),
          ref('user_id'),
          text('redirect_uri', 2000),
          { name: 'scopes', type: 'text' },
          text('code_challenge', 128, true),
          text('code_challenge_method', 10, true),
          date('expires_at'),
          date('consumed_at', true),
          date('created_at'),
        ],
        uniques: [{ name: 'uq_oauth_codes_hash', columnNames: ['code_hash'] }],
        foreignKeys: [cascade('application_id', 'oauth_applications'), cascade('user_id', 'users')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'oauth_tokens',
        columns: [
          id(),
          text('access_token_hash', 64),
          text('refresh_token_hash', 64, true),
          ref('application_id'),
          ref('user_id'),
          { name: 'scopes', type: 'text' },
          ref('family_id'),
          date('access_expires_at'),
          date('refresh_expires_at', true),
          date('refresh_used_at', true),
          date('revoked_at', true),
          date('created_at'),
        ],
        uniques: [
          { name: 'uq_oauth_tokens_access', columnNames: ['access_token_hash'] },
          { name: 'uq_oauth_tokens_refresh', columnNames: ['refresh_token_hash'] },
        ],
        indices: [{ name: 'idx_oauth_tokens_family', columnNames: ['family_id'] }],
        foreignKeys: [cascade('application_id', 'oauth_applications'), cascade('user_id', 'users')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'instance_secrets',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          text('value', 255),
          date('created_at'),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'instance_secrets',
      'oauth_tokens',
      'oauth_authorization_codes',
      'oauth_applications',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
