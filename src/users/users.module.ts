import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { SessionsModule } from '../sessions/sessions.module';
import { Membership } from '../workspaces/entities/membership.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { User } from './entities/user.entity';
import { MeController } from './me.controller';
import { PasswordController } from './password.controller';
import { TwoFactorController } from './two-factor.controller';
import { TwoFactorService } from './two-factor.service';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Membership, Workspace]), AuthModule, SessionsModule],
  controllers: [MeController, TwoFactorController, PasswordController],
  providers: [UsersService, AdminBootstrapService, TwoFactorService],
  exports: [UsersService, TwoFactorService],
})
export class UsersModule {}
