import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { UsersService } from './users.service';

/** First start with no users: creates the instance admin (SPEC §2). */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) {
      return;
    }
    const { username, email } = this.config.admin;
    const generated = this.config.admin.password === null;
    const secret = this.config.admin.password ?? randomBytes(18).toString('base64url');
    await this.users.create(null, { username, email, password: secret, is_admin: true });
    this.logger.log(`Created the instance admin "${username}".`);
    if (generated) {
      // Printed once, straight to stdout and never through the logger.
      process.stdout.write(
        `\n  Tessera instance admin created.\n  username: ${username}\n  password: ${secret}\n` +
          '  This password is shown only now; change it after you sign in.\n\n',
      );
    }
  }
}
