import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Like, Repository } from 'typeorm';
import { AtRestEncryption } from '../settings/at-rest-encryption.service';
import { Webhook } from './entities/webhook.entity';
import { splitWebhookUrl } from './webhook-url';
import { webhookUrlPasswordPurpose } from './webhooks.service';

/**
 * The upgrade path of webhook URL passwords: an older version kept them in plaintext in
 * `webhooks.url`. The migration that added `url_password` (1765000000700) cannot reach the
 * at-rest key, so every start moves the passwords it finds there into `url_password`, sealed,
 * before the delivery worker starts. Idempotent: a URL without a password is left alone.
 */
@Injectable()
export class WebhookUrlPasswordUpgrade implements OnModuleInit {
  private readonly logger = new Logger('WebhookUrlPasswordUpgrade');

  constructor(
    @InjectRepository(Webhook) private readonly webhooks: Repository<Webhook>,
    private readonly atRest: AtRestEncryption,
  ) {}

  async onModuleInit(): Promise<void> {
    const sealed = await this.sealPlaintextUrlPasswords();
    if (sealed > 0) {
      this.logger.log(
        `Encrypted ${sealed} webhook URL password(s) stored in plaintext by an older version.`,
      );
    }
  }

  /** The number of webhooks whose URL password was sealed. */
  async sealPlaintextUrlPasswords(): Promise<number> {
    const rows = await this.webhooks.find({
      // No user-info without an @; what has one may only have it in its path.
      where: { urlPassword: IsNull(), url: Like('%@%') },
      select: { id: true, url: true },
    });
    if (rows.length === 0) {
      return 0;
    }
    const box = await this.atRest.box();
    let sealed = 0;
    for (const row of rows) {
      const { url, password } = splitWebhookUrl(row.url);
      if (password === null) {
        continue;
      }
      // Conditional on the old value: another instance upgrading at the same time wins once.
      const result = await this.webhooks.update(
        { id: row.id, url: row.url, urlPassword: IsNull() },
        { url, urlPassword: box.seal(password, webhookUrlPasswordPurpose(row.id)) },
      );
      sealed += result.affected ?? 0;
    }
    return sealed;
  }
}
