import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Repository } from 'typeorm';
import { InstanceSecret } from '../settings/entities/instance-secret.entity';

const NAME = 'session_key';

/**
 * The key that encrypts session cookies: generated once and kept in the database, so every
 * instance behind a load balancer reads the same cookies and sessions survive restarts.
 */
@Injectable()
export class SessionKeyService {
  constructor(
    @InjectRepository(InstanceSecret) private readonly secrets: Repository<InstanceSecret>,
  ) {}

  async key(): Promise<Buffer> {
    let row = await this.secrets.findOneBy({ name: NAME });
    if (!row) {
      await this.secrets
        .createQueryBuilder()
        .insert()
        .values({ name: NAME, value: randomBytes(32).toString('base64'), createdAt: new Date() })
        .orIgnore() // another instance may have won the race; read back whichever is stored
        .execute();
      row = await this.secrets.findOneByOrFail({ name: NAME });
    }
    return Buffer.from(row.value, 'base64');
  }
}
