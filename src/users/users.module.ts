import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { SessionsModule } from '../sessions/sessions.module';
import { Membership } from '../workspaces/entities/membership.entity';
import { ServiceAccount } from '../workspaces/entities/service-account.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { PasswordReset } from './entities/password-reset.entity';
import { TwoFactorRecoveryCode } from './entities/two-factor-recovery-code.entity';
import { User } from './entities/user.entity';
import { PasswordResetService } from './password-reset.service';
import { MeController } from './me.controller';
import { PasswordController } from './password.controller';
import { TwoFactorController } from './two-factor.controller';
import { TwoFactorService } from './two-factor.service';
import { UsersService } from './users.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      User,
      Membership,
      Workspace,
      ServiceAccount,
      PasswordReset,
      TwoFactorRecoveryCode,
    ]),
    AuthModule,
    SessionsModule,
  ],
  controllers: [MeController, TwoFactorController, PasswordController],
  providers: [UsersService, AdminBootstrapService, TwoFactorService, PasswordResetService],
  exports: [UsersService, TwoFactorService, PasswordResetService],
})
export class UsersModule {}
