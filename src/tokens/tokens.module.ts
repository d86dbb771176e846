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
import { RequestLogRecorder } from './request-log/request-log.recorder';
import { RequestLogRetentionJob } from './request-log/request-log-retention.job';
import { RequestLogService } from './request-log/request-log.service';
import { RequestLogStore } from './request-log/request-log.store';
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
    // Per-token request log (SPEC §11.2).
    RequestLogStore,
    RequestLogRecorder,
    RequestLogService,
    RequestLogRetentionJob,
  ],
  exports: [
    AddressDenials,
    TokenFormat,
    TokenVerifier,
    TokenUsageRecorder,
    TokensService,
    RequestLogRecorder,
    RequestLogService,
  ],
})
export class TokensModule {}
