import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { Project } from '../projects/entities/project.entity';
import { OAuthModule } from '../oauth/oauth.module';
import { User } from '../users/entities/user.entity';
import { AdminTokensController } from './admin-tokens.controller';
import { AddressDenials } from './address-denials';
import { ApiToken } from './entities/api-token.entity';
import { LeakedReportLimit } from './leaked-report.limit';
import { LeakedTokensController } from './leaked-tokens.controller';
import { LeakedTokensService } from './leaked-tokens.service';
import { TokenFormat } from './token-format';
import { TokenUsageRecorder } from './token-usage.recorder';
import { TokenVerifier } from './token-verifier.service';
import { TokensController } from './tokens.controller';
import { TokensService } from './tokens.service';
import { TOKEN_JOBS } from './token-lifecycle.jobs';
import { Workspace } from '../workspaces/entities/workspace.entity';

@Module({
  imports: [TypeOrmModule.forFeature([ApiToken, User, Project, Workspace]), OAuthModule],
  controllers: [TokensController, AdminTokensController, LeakedTokensController],
  providers: [
    {
      provide: TokenFormat,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new TokenFormat(config.tokenPrefix),
    },
    TokenUsageRecorder,
    TokenVerifier,
    AddressDenials,
    TokensService,
    ...TOKEN_JOBS,
    LeakedTokensService,
    LeakedReportLimit,
  ],
  exports: [AddressDenials, TokenFormat, TokenVerifier, TokenUsageRecorder, TokensService],
})
export class TokensModule {}
