import { MigrationInterface, QueryRunner } from 'typeorm';

// MySQL/MariaDB DATETIME defaults to whole seconds (MariaDB truncates, MySQL 8 rounds, which
// could put a revocation half a second in the future). Keep milliseconds, as SQLite already does.
const DATETIME_COLUMNS: Record<string, string[]> = {
  users: ['totp_enabled_at', 'created_at', 'updated_at'],
  workspaces: ['created_at', 'updated_at'],
  memberships: ['created_at', 'updated_at'],
  api_tokens: ['expires_at', 'last_used_at', 'revoked_at', 'created_at'],
  projects: ['created_at', 'updated_at'],
  issues: ['created_at', 'updated_at'],
  instance_settings: ['legacy_auth_sunset_at', 'updated_at'],
  audit_events: ['created_at'],
  legacy_auth_usage: ['first_used_at', 'last_used_at'],
  oauth_applications: ['created_at'],
  oauth_authorization_codes: ['expires_at', 'consumed_at', 'created_at'],
  oauth_tokens: [
    'access_expires_at',
    'refresh_expires_at',
    'refresh_used_at',
    'revoked_at',
    'created_at',
  ],
  instance_secrets: ['created_at'],
};

const NULLABLE = new Set([
  'users.totp_enabled_at',
  'api_tokens.last_used_at',
  'api_tokens.revoked_at',
  'instance_settings.legacy_auth_sunset_at',
  'oauth_authorization_codes.consumed_at',
  'oauth_tokens.refresh_expires_at',
  'oauth_tokens.refresh_used_at',
  'oauth_tokens.revoked_at',
]);

export class MillisecondTimestamps1764300000000 implements MigrationInterface {
  name = 'MillisecondTimestamps1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'mysql') {
      return; // SQLite stores timestamps as text with milliseconds already
    }
    for (const [table, columns] of Object.entries(DATETIME_COLUMNS)) {
      const changes = columns.map(
        (c) => `MODIFY \`${c}\` DATETIME(3) ${NULLABLE.has(`${table}.${c}`) ? 'NULL' : 'NOT NULL'}`,
      );
      await queryRunner.query(`ALTER TABLE \`${table}\` ${changes.join(', ')}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'mysql') {
      return;
    }
    for (const [table, columns] of Object.entries(DATETIME_COLUMNS)) {
      const changes = columns.map(
        (c) => `MODIFY \`${c}\` DATETIME ${NULLABLE.has(`${table}.${c}`) ? 'NULL' : 'NOT NULL'}`,
      );
      await queryRunner.query(`ALTER TABLE \`${table}\` ${changes.join(', ')}`);
    }
  }
}
