import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OAuthModule } from '../oauth/oauth.module';
import { TokensModule } from '../tokens/tokens.module';
import { User } from '../users/entities/user.entity';
import { Authenticator } from './authenticator.service';
import { LegacyAuthUsage } from './entities/legacy-auth-usage.entity';
import { LegacyAuthUsageController } from './legacy-auth-usage.controller';
import { LegacyAuthUsageService } from './legacy-auth-usage.service';
import { LegacyUsageRecorder } from './legacy-usage.recorder';
import { PasswordAuthenticator } from './password-authenticator.service';
import { PasswordHasher } from './password-hasher';
import { PasswordVerificationCache } from './password-verification-cache';
import { ApiKeyStrategy } from './strategies/api-key.strategy';
import { BasicStrategy } from './strategies/basic.strategy';
import { BearerStrategy } from './strategies/bearer.strategy';
import { LegacyStrategy } from './strategies/legacy.strategy';
import { QueryKeyStrategy } from './strategies/query-key.strategy';

@Module({
  imports: [
    PassportModule,
    TypeOrmModule.forFeature([User, LegacyAuthUsage]),
    TokensModule,
    OAuthModule,
  ],
  controllers: [LegacyAuthUsageController],
  providers: [
    Authenticator,
    PasswordHasher,
    PasswordVerificationCache,
    PasswordAuthenticator,
    LegacyUsageRecorder,
    LegacyAuthUsageService,
    BearerStrategy,
    BasicStrategy,
    ApiKeyStrategy,
    QueryKeyStrategy,
    LegacyStrategy,
  ],
  exports: [
    Authenticator,
    PasswordHasher,
    PasswordAuthenticator,
    LegacyUsageRecorder,
    LegacyAuthUsageService,
    PasswordVerificationCache,
  ],
})
export class AuthModule {}
