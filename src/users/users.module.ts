import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { Membership } from '../workspaces/entities/membership.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { TwoFactorRecoveryCode } from './entities/two-factor-recovery-code.entity';
import { User } from './entities/user.entity';
import { MeController } from './me.controller';
import { TwoFactorController } from './two-factor.controller';
import { TwoFactorService } from './two-factor.service';
import { UsersService } from './users.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([User, Membership, Workspace, TwoFactorRecoveryCode]),
    AuthModule,
  ],
  controllers: [MeController, TwoFactorController],
  providers: [UsersService, AdminBootstrapService, TwoFactorService],
  exports: [UsersService, TwoFactorService],
})
export class UsersModule {}
