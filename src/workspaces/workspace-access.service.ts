import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthCache } from '../cache/auth-cache.service';
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
    private readonly cache: AuthCache,
  ) {}

  /** Cached (see AuthCache); every change to a membership or workspace invalidates it. */
  async membershipOf(workspaceId: string, userId: string): Promise<WorkspaceMembership | null> {
    const key = this.cache.membershipKey(workspaceId, userId);
    const cached = this.cache.memberships.get(key);
    if (cached) {
      return cached;
    }
    const generation = this.cache.currentGeneration;
    const membership = await this.memberships.findOneBy({ workspaceId, userId });
    if (!membership) {
      return null;
    }
    const workspace = await this.workspaces.findOneBy({ id: workspaceId });
    if (!workspace) {
      return null;
    }
    const found = { workspace, membership };
    this.cache.store(this.cache.memberships, key, found, generation);
    return found;
  }
}
