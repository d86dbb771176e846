import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthCache } from '../cache/auth-cache.service';
import { InvalidatingCache } from '../cache/invalidating-cache';
import { Membership } from './entities/membership.entity';
import { Workspace } from './entities/workspace.entity';

export interface WorkspaceMembership {
  workspace: Workspace;
  membership: Membership;
}

function membershipKey(workspaceId: string, userId: string): string {
  return `${workspaceId}:${userId}`;
}

/** The guards' view of workspaces: one membership and its workspace. */
@Injectable()
export class WorkspaceAccessService {
  // By workspace and user; a non-member is not remembered (see AuthCache for invalidation).
  private readonly cache: InvalidatingCache<string, WorkspaceMembership>;

  constructor(
    @InjectRepository(Workspace) private readonly workspaces: Repository<Workspace>,
    @InjectRepository(Membership) private readonly memberships: Repository<Membership>,
    authCache: AuthCache,
  ) {
    this.cache = authCache.create<WorkspaceMembership>({
      name: 'memberships',
      dropOn: {
        user: (event) => (found) => found.membership.userId === event.userId,
        workspace: (event) => (found) => found.workspace.id === event.workspaceId,
        membership: (event) => ({ key: membershipKey(event.workspaceId, event.userId) }),
      },
    });
  }

  /** Cached; every change to a membership or workspace invalidates it. */
  async membershipOf(workspaceId: string, userId: string): Promise<WorkspaceMembership | null> {
    const key = membershipKey(workspaceId, userId);
    return this.cache.get(key) ?? this.cache.getOrLoad(key, () => this.load(workspaceId, userId));
  }

  private async load(workspaceId: string, userId: string): Promise<WorkspaceMembership | null> {
    const membership = await this.memberships.findOneBy({ workspaceId, userId });
    if (!membership) {
      return null;
    }
    const workspace = await this.workspaces.findOneBy({ id: workspaceId });
    if (!workspace) {
      return null;
    }
    return { workspace, membership };
  }
}
