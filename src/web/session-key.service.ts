import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Repository } from 'typeorm';
import { SecretBox } from '../common/crypto/secret-box';
import { AtRestEncryption } from '../settings/at-rest-encryption.service';
import { InstanceSecret } from '../settings/entities/instance-secret.entity';

const NAME = 'session_key';
const PURPOSE = 'instance_secrets.session_key';

/**
 * The key that encrypts session cookies: generated once and kept in the database, so every
 * instance behind a load balancer reads the same cookies and sessions survive restarts. Stored
 * sealed with the at-rest key (SPEC §12); a plaintext key left by an older version is read once
 * and written back sealed.
 */
@Injectable()
export class SessionKeyService {
  constructor(
    @InjectRepository(InstanceSecret) private readonly secrets: Repository<InstanceSecret>,
    private readonly atRest: AtRestEncryption,
  ) {}

  async key(): Promise<Buffer> {
    const box = await this.atRest.box();
    let row = await this.secrets.findOneBy({ name: NAME });
    if (!row) {
      const sealed = box.seal(randomBytes(32).toString('base64'), PURPOSE);
      await this.secrets
        .createQueryBuilder()
        .insert()
        .values({ name: NAME, value: sealed, createdAt: new Date() })
        .orIgnore() // another instance may have won the race; read back whichever is stored
        .execute();
      row = await this.secrets.findOneByOrFail({ name: NAME });
    }
    if (!SecretBox.isSealed(row.value)) {
      // Conditional on the old value: of two instances upgrading at once, one writes.
      await this.secrets.update(
        { name: NAME, value: row.value },
        { value: box.seal(row.value, PURPOSE) },
      );
      return Buffer.from(row.value, 'base64');
    }
    return Buffer.from(box.open(row.value, PURPOSE), 'base64');
  }
}
