import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { OAuthModule } from '../oauth/oauth.module';
import { InstanceSecret } from '../settings/entities/instance-secret.entity';
import { ApiToken } from '../tokens/entities/api-token.entity';
import { TokensModule } from '../tokens/tokens.module';
import { User } from '../users/entities/user.entity';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { Membership } from '../workspaces/entities/membership.entity';
import { ServiceAccount } from '../workspaces/entities/service-account.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { Project } from '../projects/entities/project.entity';
import { AccountSecurityController } from './account-security.controller';
import { AccountServiceAccountsController } from './account-service-accounts.controller';
import { AccountServiceAccountsService } from './account-service-accounts.service';
import { AccountTokensController } from './account-tokens.controller';
import { TokenUsagePage } from './token-usage.page';
import { AccountTokensService } from './account-tokens.service';
import { AdminPagesController } from './admin-pages.controller';
import { AdminPagesService } from './admin-pages.service';
import { AssetsController } from './assets.controller';
import { ConsentController } from './consent.controller';
import { LoginController } from './login.controller';
import { PageSessionGuard } from './page-session.guard';
import { PasswordResetController } from './password-reset.controller';
import { SessionKeyService } from './session-key.service';
import { SessionUserService } from './session-user.service';
import { SignInService } from './sign-in.service';
import { SudoService } from './sudo.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      User,
      InstanceSecret,
      ApiToken,
      Membership,
      Workspace,
      Project,
      ServiceAccount,
    ]),
    AuthModule,
    UsersModule,
    SessionsModule,
    OAuthModule,
    TokensModule,
    WorkspacesModule,
  ],
  controllers: [
    LoginController,
    ConsentController,
    AssetsController,
    AccountTokensController,
    AccountServiceAccountsController,
    AccountSecurityController,
    PasswordResetController,
    AdminPagesController,
  ],
  providers: [
    SessionKeyService,
    SessionUserService,
    AccountTokensService,
    AccountServiceAccountsService,
    TokenUsagePage,
    AdminPagesService,
    SignInService,
    SudoService,
    // Global, so that a @Page() route can never go without its session check.
    { provide: APP_GUARD, useClass: PageSessionGuard },
  ],
  exports: [SessionKeyService],
})
export class WebModule {}
