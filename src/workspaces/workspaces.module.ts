import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TokensModule } from '../tokens/tokens.module';
import { User } from '../users/entities/user.entity';
import { Membership } from './entities/membership.entity';
import { Workspace } from './entities/workspace.entity';
import { TokenPolicyController } from './token-policy.controller';
import { TokenPolicyService } from './token-policy.service';
import { WorkspaceAccessService } from './workspace-access.service';
import { WorkspacesController } from './workspaces.controller';
import { WorkspacesService } from './workspaces.service';

@Module({
  imports: [TypeOrmModule.forFeature([Workspace, Membership, User]), TokensModule],
  controllers: [WorkspacesController, TokenPolicyController],
  providers: [WorkspacesService, WorkspaceAccessService, TokenPolicyService],
  exports: [WorkspacesService, WorkspaceAccessService],
})
export class WorkspacesModule {}
