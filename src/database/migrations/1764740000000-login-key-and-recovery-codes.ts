import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { loginKey } from '../../users/login-key';

/**
 * SPEC §12: logins unique case-insensitively on both databases (MySQL's collation refused
 * "Admin" beside "admin", SQLite allowed it): `users.login_key` (NFKC, lower case, compared
 * byte for byte) with a unique index. Existing users whose logins collide stop the migration
 * with their names: merging accounts is a decision for a person. Also: TOTP secrets widened for
 * their sealed form (SQLite does not limit varchar lengths), and the 2FA recovery codes.
 */
export class LoginKeyAndRecoveryCodes1764740000000 implements MigrationInterface {
  name = 'LoginKeyAndRecoveryCodes1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    const users = (await queryRunner.query('SELECT id, username FROM users')) as {
      id: string;
      username: string;
    }[];
    const byKey = new Map<string, string[]>();
    for (const user of users) {
      const key = loginKey(user.username);
      byKey.set(key, [...(byKey.get(key) ?? []), user.username]);
    }
    const collisions = [...byKey.values()].filter((logins) => logins.length > 1);
    if (collisions.length > 0) {
      throw new Error(
        'Logins are now unique regardless of case and Unicode form, but these users have ' +
          `logins that differ only so: ${collisions.map((c) => c.map((l) => `"${l}"`).join(' = ')).join('; ')}. ` +
          'Rename all but one login of each group (UPDATE users SET username = ... WHERE id = ...) ' +
          'and start Tessera again.',
      );
    }

    // Sealed secrets are longer (SQLite does not limit varchar lengths).
    if (mysql) {
      await queryRunner.query('ALTER TABLE `users` MODIFY `totp_secret` varchar(255) NULL');
    }

    await queryRunner.addColumn(
      'users',
      new TableColumn({
        name: 'login_key',
        type: 'varchar',
        length: '255',
        isNullable: true,
        // Byte for byte: utf8mb4_unicode_ci would also fold accents ("josé" = "jose").
        collation: mysql ? 'utf8mb4_bin' : undefined,
      }),
    );
    for (const user of users) {
      await queryRunner.query('UPDATE users SET login_key = ? WHERE id = ?', [
        loginKey(user.username),
        user.id,
      ]);
    }
    await queryRunner.createIndex(
      'users',
      new TableIndex({ name: 'uq_users_login_key', columnNames: ['login_key'], isUnique: true }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'two_factor_recovery_codes',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'code_hash', type: 'varchar', length: '64' },
          { name: 'used_at', type: 'datetime', precision: mysql ? 3 : undefined, isNullable: true },
          { name: 'created_at', type: 'datetime', precision: mysql ? 3 : undefined },
        ],
        indices: [
          {
            name: 'uq_two_factor_recovery_codes_user_hash',
            columnNames: ['user_id', 'code_hash'],
            isUnique: true,
          },
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
    await queryRunner.dropTable('two_factor_recovery_codes');
    await queryRunner.dropIndex('users', 'uq_users_login_key');
    await queryRunner.dropColumn('users', 'login_key');
  }
}
