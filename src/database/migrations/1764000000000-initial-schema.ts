import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

// Written with TypeORM's Table API so that one migration builds the same schema on
// MySQL/MariaDB and on SQLite.
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

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          id(),
          text('username', 64),
          text('email', 255),
          text('password_hash', 255),
          { name: 'is_admin', type: 'boolean', default: false },
          { ...text('status', 16), default: "'active'" },
          text('legacy_api_password_hash', 255, true),
          text('totp_secret', 64, true),
          date('totp_enabled_at', true),
          date('created_at'),
          date('updated_at'),
        ],
        uniques: [
          { name: 'uq_users_username', columnNames: ['username'] },
          { name: 'uq_users_email', columnNames: ['email'] },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'workspaces',
        columns: [
          id(),
          text('name', 120),
          { ...text('plan', 16), default: "'free'" },
          { ...text('billing_status', 16), default: "'active'" },
          { name: 'token_packs', type: 'int', default: 0 },
          date('created_at'),
          date('updated_at'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'memberships',
        columns: [
          id(),
          ref('workspace_id'),
          ref('user_id'),
          text('role', 16),
          date('created_at'),
          date('updated_at'),
        ],
        indices: [
          {
            name: 'uq_memberships_workspace_user',
            columnNames: ['workspace_id', 'user_id'],
            isUnique: true,
          },
          { name: 'idx_memberships_user', columnNames: ['user_id'] },
        ],
        foreignKeys: [
          {
            columnNames: ['workspace_id'],
            referencedTableName: 'workspaces',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'api_tokens',
        columns: [
          id(),
          ref('user_id'),
          ref('workspace_id', true),
          text('name', 100),
          text('token_prefix', 16),
          text('token_hash', 64),
          { name: 'scopes', type: 'text' },
          date('expires_at'),
          date('last_used_at', true),
          text('last_used_ip', 45, true),
          date('revoked_at', true),
          ref('replaced_by_id', true),
          date('created_at'),
        ],
        uniques: [{ name: 'uq_api_tokens_hash', columnNames: ['token_hash'] }],
        indices: [
          {
            name: 'idx_api_tokens_workspace',
            columnNames: ['workspace_id', 'revoked_at', 'expires_at'],
          },
          { name: 'idx_api_tokens_user', columnNames: ['user_id'] },
        ],
        foreignKeys: [
          {
            columnNames: ['user_id'],
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

    await queryRunner.createTable(
      new Table({
        name: 'projects',
        columns: [
          id(),
          ref('workspace_id'),
          text('name', 200),
          text('identifier', 100),
          { name: 'description', type: 'text', isNullable: true },
          date('created_at'),
          date('updated_at'),
        ],
        indices: [
          {
            name: 'uq_projects_workspace_identifier',
            columnNames: ['workspace_id', 'identifier'],
            isUnique: true,
          },
        ],
        foreignKeys: [
          {
            columnNames: ['workspace_id'],
            referencedTableName: 'workspaces',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'issues',
        columns: [
          id(),
          ref('workspace_id'),
          ref('project_id'),
          text('subject', 255),
          { name: 'description', type: 'text', isNullable: true },
          { ...text('status', 16), default: "'open'" },
          { ...text('priority', 16), default: "'normal'" },
          ref('assignee_id', true),
          ref('author_id'),
          date('created_at'),
          date('updated_at'),
        ],
        indices: [
          {
            name: 'idx_issues_workspace_project',
            columnNames: ['workspace_id', 'project_id', 'created_at'],
          },
          { name: 'idx_issues_workspace_status', columnNames: ['workspace_id', 'status'] },
          { name: 'idx_issues_workspace_assignee', columnNames: ['workspace_id', 'assignee_id'] },
        ],
        foreignKeys: [
          {
            columnNames: ['workspace_id'],
            referencedTableName: 'workspaces',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            columnNames: ['project_id'],
            referencedTableName: 'projects',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'instance_settings',
        columns: [
          { name: 'id', type: 'int', isPrimary: true },
          { name: 'rest_api_enabled', type: 'boolean', default: true },
          { name: 'allow_query_key', type: 'boolean', default: true },
          { name: 'allow_basic_password', type: 'boolean', default: true },
          { name: 'legacy_auth_enabled', type: 'boolean', default: true },
          date('legacy_auth_sunset_at', true),
          { name: 'max_token_lifetime_days', type: 'int', default: 365 },
          date('updated_at'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          id(),
          ref('workspace_id', true),
          ref('actor_id', true),
          ref('impersonator_id', true),
          text('action', 64),
          text('target_type', 32, true),
          ref('target_id', true),
          text('ip', 45, true),
          text('user_agent', 255, true),
          { name: 'metadata', type: 'text', isNullable: true },
          date('created_at'),
        ],
        indices: [
          { name: 'idx_audit_events_workspace', columnNames: ['workspace_id', 'created_at'] },
          { name: 'idx_audit_events_created', columnNames: ['created_at'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'audit_events',
      'instance_settings',
      'issues',
      'projects',
      'api_tokens',
      'memberships',
      'workspaces',
      'users',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
