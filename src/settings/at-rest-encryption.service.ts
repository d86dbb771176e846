import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { And, IsNull, Like, Not, Repository } from 'typeorm';
import { atRestKeyMaterial, SecretKeyError } from '../common/crypto/at-rest-key';
import { deriveAtRestKey, SecretBox, SecretBoxError } from '../common/crypto/secret-box';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { User } from '../users/entities/user.entity';
import { InstanceSecret } from './entities/instance-secret.entity';

const CHECK_NAME = 'secret_key_check';
const CHECK_TEXT = 'tessera at-rest key check';

/** The AAD of a user's TOTP secret: a sealed secret copied onto another user does not open. */
export const totpPurpose = (userId: string): string => `users.totp_secret:${userId}`;

/**
 * Encryption at rest of the secrets Tessera keeps in the database (SPEC §12): TOTP secrets, the
 * session key and the passwords in webhook URLs. The key is derived from SECRET_KEY (or the
 * generated DATA_DIR/secret.key). On first use it is checked against a value sealed with it on
 * the first start, so a wrong SECRET_KEY stops the start with a clear message instead of making
 * 2FA unusable; then TOTP secrets still stored in plaintext by an older version are sealed.
 */
@Injectable()
export class AtRestEncryption implements OnModuleInit {
  private readonly logger = new Logger('AtRestEncryption');
  private ready: Promise<SecretBox> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(InstanceSecret) private readonly secrets: Repository<InstanceSecret>,
    @InjectRepository(User) private readonly users: Repository<User>,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.box();
  }

  /** The checked box; memoised (the web session asks for it before the modules initialise). */
  box(): Promise<SecretBox> {
    this.ready ??= this.open();
    return this.ready;
  }

  private async open(): Promise<SecretBox> {
    const box = new SecretBox(
      deriveAtRestKey(atRestKeyMaterial(this.config.secretKey, this.config.dataDir)),
    );
    await this.secrets
      .createQueryBuilder()
      .insert()
      .values({ name: CHECK_NAME, value: box.seal(CHECK_TEXT, CHECK_NAME), createdAt: new Date() })
      .orIgnore() // the first instance to start decides; the others must hold the same key
      .execute();
    const check = await this.secrets.findOneByOrFail({ name: CHECK_NAME });
    let opened: string | null = null;
    try {
      opened = box.open(check.value, CHECK_NAME);
    } catch (error) {
      if (!(error instanceof SecretBoxError)) {
        throw error;
      }
    }
    if (opened !== CHECK_TEXT) {
      throw new SecretKeyError(
        (this.config.secretKey !== null
          ? 'SECRET_KEY is not the key this database was encrypted with'
          : `The key in ${this.config.dataDir}/secret.key is not the key this database was encrypted with`) +
          ' (its TOTP secrets, session key and webhook URL passwords would not open). Start with the SECRET_KEY ' +
          '(or the DATA_DIR/secret.key) the database was used with; every instance sharing a ' +
          'database must use the same SECRET_KEY.',
      );
    }
    await this.sealPlaintextTotpSecrets(box);
    return box;
  }

  /** The upgrade path: TOTP secrets an older version stored in plaintext, sealed in place. */
  private async sealPlaintextTotpSecrets(box: SecretBox): Promise<void> {
    const rows = await this.users.find({
      // Only what is still plaintext: sealed values start with their version.
      where: { totpSecret: And(Not(IsNull()), Not(Like('v1:%'))) },
      select: { id: true, totpSecret: true },
    });
    let sealed = 0;
    for (const row of rows) {
      const plain = row.totpSecret as string;
      if (SecretBox.isSealed(plain)) {
        continue;
      }
      // Conditional on the old value: another instance upgrading at the same time wins once.
      const result = await this.users.update(
        { id: row.id, totpSecret: plain },
        { totpSecret: box.seal(plain, totpPurpose(row.id)) },
      );
      sealed += result.affected ?? 0;
    }
    if (sealed > 0) {
      this.logger.log(
        `Encrypted ${sealed} TOTP secret(s) stored in plaintext by an older version.`,
      );
    }
  }
}
