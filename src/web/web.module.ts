import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { OAuthModule } from '../oauth/oauth.module';
import { InstanceSecret } from '../settings/entities/instance-secret.entity';
import { User } from '../users/entities/user.entity';
import { UsersModule } from '../users/users.module';
import { AssetsController } from './assets.controller';
import { ConsentController } from './consent.controller';
import { LoginController } from './login.controller';
import { SessionKeyService } from './session-key.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, InstanceSecret]), AuthModule, UsersModule, OAuthModule],
  controllers: [LoginController, ConsentController, AssetsController],
  providers: [SessionKeyService],
  exports: [SessionKeyService],
})
export class WebModule {}
