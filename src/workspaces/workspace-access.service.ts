import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Membership } from './entities/membership.entity';
import { Workspace } from './entities/workspace.entity';

export interface WorkspaceMembership {
  workspace: Workspace;
  membership: Membership;
}

/** The guards' view of workspaces: one membership and its workspace. */
@Injectable()
export class WorkspaceAccessService {
  constructor(
    @InjectRepository(Workspace) private readonly workspaces: Repository<Workspace>,
    @InjectRepository(Membership) private readonly memberships: Repository<Membership>,
  ) {}

  async membershipOf(workspaceId: string, userId: string): Promise<WorkspaceMembership | null> {
    const membership = await this.memberships.findOneBy({ workspaceId, userId });
    if (!membership) {
      return null;
    }
    const workspace = await this.workspaces.findOneBy({ id: workspaceId });
    return workspace ? { workspace, membership } : null;
  }
}
