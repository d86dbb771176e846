import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TokensModule } from '../tokens/tokens.module';
import { User } from '../users/entities/user.entity';
import { Authenticator } from './authenticator.service';
import { PasswordAuthenticator } from './password-authenticator.service';
import { PasswordHasher } from './password-hasher';
import { BasicStrategy } from './strategies/basic.strategy';
import { BearerStrategy } from './strategies/bearer.strategy';

@Module({
  imports: [PassportModule, TypeOrmModule.forFeature([User]), TokensModule],
  providers: [Authenticator, PasswordHasher, PasswordAuthenticator, BearerStrategy, BasicStrategy],
  exports: [Authenticator, PasswordHasher, PasswordAuthenticator],
})
export class AuthModule {}
