import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TokensModule } from '../tokens/tokens.module';
import { User } from '../users/entities/user.entity';
import { Membership } from './entities/membership.entity';
import { ServiceAccount } from './entities/service-account.entity';
import { Workspace } from './entities/workspace.entity';
import { TokenPolicyController } from './token-policy.controller';
import { TokenPolicyService } from './token-policy.service';
import { WorkspaceAccessService } from './workspace-access.service';
import { WorkspacesController } from './workspaces.controller';
import { WorkspacesService } from './workspaces.service';
import { ServiceAccountsController } from './service-accounts.controller';
import { ServiceAccountsService } from './service-accounts.service';

@Module({
  imports: [TypeOrmModule.forFeature([Workspace, Membership, User, ServiceAccount]), TokensModule],
  controllers: [WorkspacesController, TokenPolicyController, ServiceAccountsController],
  providers: [
    WorkspacesService,
    WorkspaceAccessService,
    TokenPolicyService,
    ServiceAccountsService,
  ],
  exports: [WorkspacesService, WorkspaceAccessService, ServiceAccountsService],
})
export class WorkspacesModule {}
