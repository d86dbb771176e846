import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { AdminController } from './admin.controller';

@Module({
  imports: [UsersModule, WorkspacesModule],
  controllers: [AdminController],
})
export class AdminModule {}
