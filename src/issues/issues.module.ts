import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProjectsModule } from '../projects/projects.module';
import { Membership } from '../workspaces/entities/membership.entity';
import { Issue } from './entities/issue.entity';
import { IssuesController } from './issues.controller';
import { IssuesService } from './issues.service';

@Module({
  imports: [TypeOrmModule.forFeature([Issue, Membership]), ProjectsModule],
  controllers: [IssuesController],
  providers: [IssuesService],
})
export class IssuesModule {}
