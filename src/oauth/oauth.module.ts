import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from '../users/entities/user.entity';
import { OAuthApplication } from './entities/oauth-application.entity';
import { OAuthAuthorizationCode } from './entities/oauth-authorization-code.entity';
import { OAuthToken } from './entities/oauth-token.entity';
import { OAuthAccessTokenVerifier } from './oauth-access-token.verifier';
import { OAuthApplicationsController } from './oauth-applications.controller';
import { OAuthApplicationsService } from './oauth-applications.service';
import { OAuthAuthorizationsController } from './oauth-authorizations.controller';
import { OAuthAuthorizationsService } from './oauth-authorizations.service';
import { OAuthController } from './oauth.controller';
import { OAuthService } from './oauth.service';

@Module({
  imports: [TypeOrmModule.forFeature([OAuthApplication, OAuthAuthorizationCode, OAuthToken, User])],
  controllers: [OAuthController, OAuthApplicationsController, OAuthAuthorizationsController],
  providers: [
    OAuthService,
    OAuthAccessTokenVerifier,
    OAuthApplicationsService,
    OAuthAuthorizationsService,
  ],
  exports: [
    OAuthService,
    OAuthAccessTokenVerifier,
    OAuthApplicationsService,
    OAuthAuthorizationsService,
  ],
})
export class OAuthModule {}
