import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * The password of a webhook URL's user-info, sealed with the at-rest key like the signing
 * secret, in its own column; `url` keeps the rest. A migration cannot seal (the key comes from
 * SECRET_KEY or DATA_DIR/secret.key, and is checked against the database, at application
 * start), so the passwords already in `url` are moved by WebhookUrlPasswordUpgrade when the
 * application starts, not here.
 */
export class WebhookUrlPassword1765000000700 implements MigrationInterface {
  name = 'WebhookUrlPassword1765000000700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'webhooks',
      new TableColumn({ name: 'url_password', type: 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Without the key the passwords cannot go back into the URLs; dropping them would leave
    // those webhooks delivering without credentials.
    const [row] = (await queryRunner.query(
      'SELECT COUNT(*) AS n FROM webhooks WHERE url_password IS NOT NULL',
    )) as Array<{ n: number | string }>;
    if (Number(row.n) > 0) {
      throw new Error(
        `${String(row.n)} webhook URL password(s) are stored encrypted in webhooks.url_password ` +
          'and cannot be put back into their URLs by a migration. Set each of those webhooks’ ' +
          'URL again without its password (PATCH /api/v1/webhooks/:id), or delete them, then undo.',
      );
    }
    await queryRunner.dropColumn('webhooks', 'url_password');
  }
}
