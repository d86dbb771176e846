import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LifecycleEvent } from '../events/entities/lifecycle-event.entity';
import { OAuthApplication } from '../oauth/entities/oauth-application.entity';
import { User } from '../users/entities/user.entity';
import { ServiceAccount } from '../workspaces/entities/service-account.entity';
import { Mailer } from './mailer.service';
import { TokenMailJob } from './token-mail.job';

/** E-mail notices to token owners (SPEC §11.4), when SMTP_URL is set. */
@Module({
  imports: [TypeOrmModule.forFeature([LifecycleEvent, User, ServiceAccount, OAuthApplication])],
  providers: [Mailer, TokenMailJob],
  exports: [Mailer, TokenMailJob],
})
export class MailModule {}
