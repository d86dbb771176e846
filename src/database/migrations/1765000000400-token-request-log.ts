import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §11.2: the per-token request log, daily usage counts and the last addresses a token was
 * used from. No foreign keys on purpose: the log is written in large batches and a per-row
 * check against api_tokens would cost on every insert; rows of a deleted token age out.
 * - token_requests: newest first per token through (token_id, at, id); retention by age via (at).
 * - token_usage_daily: one row per token and UTC day ('YYYY-MM-DD'), incremented by upserts.
 * - token_ips: one row per token and address, pruned to the 5 newest per token.
 */
export class TokenRequestLog1765000000400 implements MigrationInterface {
  name = 'TokenRequestLog1765000000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    if (mysql) {
      await queryRunner.query(
        `CREATE TABLE token_requests (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          token_id VARCHAR(36) NOT NULL,
          at DATETIME(3) NOT NULL,
          method VARCHAR(16) NOT NULL,
          path VARCHAR(512) NOT NULL,
          status SMALLINT NOT NULL,
          ip VARCHAR(45) NOT NULL,
          user_agent VARCHAR(256) NULL,
          duration_ms INT NOT NULL,
          KEY idx_token_requests_token_at (token_id, at, id),
          KEY idx_token_requests_at (at)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
      );
      await queryRunner.query(
        `CREATE TABLE token_usage_daily (
          token_id VARCHAR(36) NOT NULL,
          day CHAR(10) NOT NULL,
          requests INT NOT NULL DEFAULT 0,
          errors INT NOT NULL DEFAULT 0,
          PRIMARY KEY (token_id, day),
          KEY idx_token_usage_daily_day (day)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
      );
      await queryRunner.query(
        `CREATE TABLE token_ips (
          token_id VARCHAR(36) NOT NULL,
          ip VARCHAR(45) NOT NULL,
          last_used_at DATETIME(3) NOT NULL,
          PRIMARY KEY (token_id, ip)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
      );
      return;
    }
    await queryRunner.query(
      `CREATE TABLE token_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token_id VARCHAR(36) NOT NULL,
        at DATETIME NOT NULL,
        method VARCHAR(16) NOT NULL,
        path VARCHAR(512) NOT NULL,
        status INTEGER NOT NULL,
        ip VARCHAR(45) NOT NULL,
        user_agent VARCHAR(256) NULL,
        duration_ms INTEGER NOT NULL
      )`,
    );
    await queryRunner.query(
      'CREATE INDEX idx_token_requests_token_at ON token_requests (token_id, at, id)',
    );
    await queryRunner.query('CREATE INDEX idx_token_requests_at ON token_requests (at)');
    await queryRunner.query(
      `CREATE TABLE token_usage_daily (
        token_id VARCHAR(36) NOT NULL,
        day CHAR(10) NOT NULL,
        requests INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (token_id, day)
      )`,
    );
    await queryRunner.query('CREATE INDEX idx_token_usage_daily_day ON token_usage_daily (day)');
    await queryRunner.query(
      `CREATE TABLE token_ips (
        token_id VARCHAR(36) NOT NULL,
        ip VARCHAR(45) NOT NULL,
        last_used_at DATETIME NOT NULL,
        PRIMARY KEY (token_id, ip)
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE token_ips');
    await queryRunner.query('DROP TABLE token_usage_daily');
    await queryRunner.query('DROP TABLE token_requests');
  }
}
