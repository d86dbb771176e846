import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthCache } from '../cache/auth-cache.service';
import { AuthPrincipal } from '../auth/auth-types';
import { Role, tokenLimitFor } from './roles-and-plans';
import {
  ApiError,
  conflict,
  forbidden,
  notFound,
  validationFailed,
} from '../common/errors/api-error';
import { Page, PaginationQuery, pageWindow, toPage } from '../common/http/pagination';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { DatabaseService } from '../database/database.service';
import { TokensService } from '../tokens/tokens.service';
import { User, UserType } from '../users/entities/user.entity';
import { assertServiceAccountChange, ServiceAccountChange } from './workspace-policy';
import {
  AddMemberRequest,
  AdminUpdateWorkspaceRequest,
  CreateWorkspaceRequest,
  MemberResponse,
  toMemberResponse,
  toWorkspaceResponse,
  UpdateWorkspaceRequest,
  WorkspaceResponse,
} from './dto/workspace.dto';
import { Membership } from './entities/membership.entity';
import { Workspace } from './entities/workspace.entity';
import { DEFAULT_TOKEN_POLICY } from './workspace-policy';

const describe = (w: Workspace, seats: Map<string, number>, role?: Role): WorkspaceResponse =>
  toWorkspaceResponse(w, tokenLimitFor(w.plan, w.tokenPacks), seats.get(w.id) ?? 0, role);

type MemberUser = { username: string; type: UserType };

@Injectable()
export class WorkspacesService {
  constructor(
    @InjectRepository(Workspace) private readonly workspaces: Repository<Workspace>,
    @InjectRepository(Membership) private readonly memberships: Repository<Membership>,
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly db: DatabaseService,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
    private readonly tokens: TokensService,
  ) {}

  /** The caller's workspaces; a workspace-bound token sees only its own. */
  async listMine(me: AuthPrincipal, query: PaginationQuery): Promise<Page<WorkspaceResponse>> {
    const window = pageWindow(query);
    const where = me.tokenWorkspaceId
      ? { userId: me.user.id, workspaceId: me.tokenWorkspaceId }
      : { userId: me.user.id };
    const [memberships, total] = await this.memberships.findAndCount({
      where,
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: window.offset,
      take: window.limit,
    });
    const rows = memberships.length
      ? await this.workspaces.findBy({ id: In(memberships.map((m) => m.workspaceId)) })
      : [];
    const byId = new Map(rows.map((w) => [w.id, w]));
    const seats = await this.seatsUsed(rows.map((w) => w.id));
    const data = memberships
      .filter((m) => byId.has(m.workspaceId))
      .map((m) => describe(byId.get(m.workspaceId) as Workspace, seats, m.role));
    return { data, total_count: total, offset: window.offset, limit: window.limit };
  }

  async create(
    me: AuthPrincipal,
    dto: CreateWorkspaceRequest,
    meta: RequestMeta,
  ): Promise<WorkspaceResponse> {
    if (me.tokenWorkspaceId) {
      throw forbidden(
        'A token bound to a workspace cannot create workspaces; use your password or an instance token.',
      );
    }
    const now = new Date();
    const workspace = this.workspaces.create({
      id: randomUUID(),
      name: dto.name.trim(),
      plan: 'free',
      billingStatus: 'active',
      tokenPacks: 0,
      tokenMaxLifetimeDays: DEFAULT_TOKEN_POLICY.maxLifetimeDays,
      tokenAllowedScopes: [...DEFAULT_TOKEN_POLICY.allowedScopes],
      tokenRequireAllowedCidrs: DEFAULT_TOKEN_POLICY.requireAllowedCidrs,
      tokenIdleRevokeDays: DEFAULT_TOKEN_POLICY.idleRevokeDays,
      createdAt: now,
      updatedAt: now,
    });
    await this.db.transaction(async (m) => {
      await m.insert(Workspace, workspace);
      await m.insert(Membership, {
        id: randomUUID(),
        workspaceId: workspace.id,
        userId: me.user.id,
        role: 'owner',
        createdAt: now,
        updatedAt: now,
      });
      await this.audit.record(
        {
          action: 'workspace.created',
          actor: me,
          workspaceId: workspace.id,
          targetType: 'workspace',
          targetId: workspace.id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { name: workspace.name },
        },
        m,
      );
    });
    return describe(workspace, new Map([[workspace.id, 1]]), 'owner');
  }

  async get(workspace: Workspace, membership: Membership): Promise<WorkspaceResponse> {
    return describe(workspace, await this.seatsUsed([workspace.id]), membership.role);
  }

  async update(
    me: AuthPrincipal,
    workspace: Workspace,
    membership: Membership,
    dto: UpdateWorkspaceRequest,
    meta: RequestMeta,
  ): Promise<WorkspaceResponse> {
    if (dto.name !== undefined) {
      await this.workspaces.update(
        { id: workspace.id },
        { name: dto.name.trim(), updatedAt: new Date() },
      );
      await this.audit.record({
        action: 'workspace.updated',
        actor: me,
        workspaceId: workspace.id,
        targetType: 'workspace',
        targetId: workspace.id,
        ip: meta.ip,
        userAgent: meta.userAgent,
        metadata: { name: dto.name.trim() },
      });
    }
    await this.cache.invalidate({ kind: 'workspace', workspaceId: workspace.id });
    return describe(
      await this.workspaces.findOneByOrFail({ id: workspace.id }),
      await this.seatsUsed([workspace.id]),
      membership.role,
    );
  }

  async listMembers(workspace: Workspace, query: PaginationQuery): Promise<Page<MemberResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await this.memberships.findAndCount({
      where: { workspaceId: workspace.id },
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: window.offset,
      take: window.limit,
    });
    const users = await this.memberUsers(rows.map((m) => m.userId));
    return toPage(rows, total, window, (m) => toMemberResponse(m, userOf(users, m.userId)));
  }

  async addMember(
    me: AuthPrincipal,
    workspace: Workspace,
    myMembership: Membership,
    dto: AddMemberRequest,
    meta: RequestMeta,
  ): Promise<MemberResponse> {
    this.assertMayGrant(myMembership, dto.role);
    const user = await this.users.findOneBy({ id: dto.user_id.toLowerCase() });
    if (!user) {
      throw validationFailed([{ field: 'user_id', message: 'No user has this id.' }]);
    }
    if (await this.memberships.existsBy({ workspaceId: workspace.id, userId: user.id })) {
      throw conflict('This user is already a member of the workspace.', 'user_id');
    }
    if (user.type === 'service_account') {
      assertServiceAccountChange({ kind: 'add_member' });
    }
    const now = new Date();
    const membership = this.memberships.create({
      id: randomUUID(),
      workspaceId: workspace.id,
      userId: user.id,
      role: dto.role,
      createdAt: now,
      updatedAt: now,
    });
    await this.memberships.insert(membership);
    await this.audit.record({
      action: 'member.added',
      actor: me,
      workspaceId: workspace.id,
      targetType: 'user',
      targetId: user.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: { role: dto.role },
    });
    return toMemberResponse(membership, user);
  }

  async updateMember(
    me: AuthPrincipal,
    workspace: Workspace,
    myMembership: Membership,
    userId: string,
    role: Role,
    meta: RequestMeta,
  ): Promise<MemberResponse> {
    const result = await this.db.transaction(async (m) => {
      await this.db.lockForUpdate(m, Workspace, workspace.id); // serializes last-owner checks
      const target = await this.findMember(m.getRepository(Membership), workspace.id, userId);
      this.assertMayGrant(myMembership, role);
      this.assertMayGrant(myMembership, target.role);
      await this.assertPeopleRouteAllows(m, userId, { kind: 'member_role', role });
      if (target.role === 'owner' && role !== 'owner') {
        await this.assertNotLastOwner(m.getRepository(Membership), workspace.id);
      }
      await m.update(Membership, { id: target.id }, { role, updatedAt: new Date() });
      await this.audit.record(
        {
          action: 'member.updated',
          actor: me,
          workspaceId: workspace.id,
          targetType: 'user',
          targetId: userId,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { from: target.role, to: role },
        },
        m,
      );
      return { ...target, role };
    });
    const users = await this.memberUsers([userId]);
    await this.cache.invalidate({ kind: 'membership', workspaceId: workspace.id, userId });
    return toMemberResponse(result, userOf(users, userId));
  }

  /** Removes a member and revokes their tokens in this workspace. */
  async removeMember(
    me: AuthPrincipal,
    workspace: Workspace,
    myMembership: Membership,
    userId: string,
    meta: RequestMeta,
  ): Promise<void> {
    await this.db.transaction(async (m) => {
      await this.db.lockForUpdate(m, Workspace, workspace.id);
      const target = await this.findMember(m.getRepository(Membership), workspace.id, userId);
      this.assertMayGrant(myMembership, target.role);
      await this.assertPeopleRouteAllows(m, userId, { kind: 'remove_member' });
      if (target.role === 'owner') {
        await this.assertNotLastOwner(m.getRepository(Membership), workspace.id);
      }
      await m.delete(Membership, { id: target.id });
      await this.tokens.revokeMemberTokens(m, workspace.id, userId);
      await this.audit.record(
        {
          action: 'member.removed',
          actor: me,
          workspaceId: workspace.id,
          targetType: 'user',
          targetId: userId,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { role: target.role },
        },
        m,
      );
    });
    // Their tokens in this workspace were revoked above: drop everything cached for them.
    await this.cache.invalidate({ kind: 'user', userId });
  }

  async adminList(query: PaginationQuery): Promise<Page<WorkspaceResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await this.workspaces.findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: window.offset,
      take: window.limit,
    });
    const seats = await this.seatsUsed(rows.map((w) => w.id));
    return toPage(rows, total, window, (w) => describe(w, seats));
  }

  async adminUpdate(
    me: AuthPrincipal,
    id: string,
    dto: AdminUpdateWorkspaceRequest,
    meta: RequestMeta,
  ): Promise<WorkspaceResponse> {
    const workspace = await this.workspaces.findOneBy({ id });
    if (!workspace) {
      throw notFound('Workspace');
    }
    const changes: Partial<Workspace> = { updatedAt: new Date() };
    if (dto.plan !== undefined) {
      changes.plan = dto.plan;
    }
    if (dto.billing_status !== undefined) {
      changes.billingStatus = dto.billing_status;
    }
    if (dto.token_packs !== undefined) {
      changes.tokenPacks = dto.token_packs;
    }
    await this.workspaces.update({ id }, changes);
    await this.audit.record({
      action: 'workspace.plan_changed',
      actor: me,
      workspaceId: id,
      targetType: 'workspace',
      targetId: id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: {
        plan: dto.plan ?? null,
        billing_status: dto.billing_status ?? null,
        token_packs: dto.token_packs ?? null,
        previous_plan: workspace.plan,
        previous_billing_status: workspace.billingStatus,
      },
    });
    await this.cache.invalidate({ kind: 'workspace', workspaceId: id });
    return describe(await this.workspaces.findOneByOrFail({ id }), await this.seatsUsed([id]));
  }

  private async findMember(
    repo: Repository<Membership>,
    workspaceId: string,
    userId: string,
  ): Promise<Membership> {
    const membership = await repo.findOneBy({ workspaceId, userId });
    if (!membership) {
      throw notFound('Member');
    }
    return membership;
  }

  // Owners are the only ones who can make, change or remove owners.
  private assertMayGrant(mine: Membership, role: Role): void {
    if (role === 'owner' && mine.role !== 'owner') {
      throw forbidden('Only workspace owners can grant, change or remove the owner role.');
    }
  }

  private async assertNotLastOwner(
    repo: Repository<Membership>,
    workspaceId: string,
  ): Promise<void> {
    const owners = await repo.countBy({ workspaceId, role: 'owner' });
    if (owners <= 1) {
      throw new ApiError(
        HttpStatus.CONFLICT,
        'conflict',
        'A workspace needs at least one owner; make someone else owner first.',
      );
    }
  }

  /** Seats taken per workspace: human members (SPEC §11.5: service accounts take none). */
  private async seatsUsed(workspaceIds: string[]): Promise<Map<string, number>> {
    if (workspaceIds.length === 0) {
      return new Map();
    }
    const rows = await this.memberships
      .createQueryBuilder('m')
      .innerJoin(User, 'u', 'u.id = m.user_id')
      .select('m.workspace_id', 'workspace_id')
      .addSelect('COUNT(*)', 'seats')
      .where('m.workspace_id IN (:...workspaceIds)', { workspaceIds })
      .andWhere("u.type = 'human'")
      .groupBy('m.workspace_id')
      .getRawMany<{ workspace_id: string; seats: number | string }>();
    return new Map(rows.map((r) => [r.workspace_id, Number(r.seats)]));
  }

  /** The policy on what a member route may do to a service account (nothing else to check). */
  private async assertPeopleRouteAllows(
    m: EntityManager,
    userId: string,
    change: ServiceAccountChange,
  ): Promise<void> {
    if (await m.existsBy(User, { id: userId, type: 'service_account' })) {
      assertServiceAccountChange(change);
    }
  }

  private async memberUsers(ids: string[]): Promise<Map<string, MemberUser>> {
    if (ids.length === 0) {
      return new Map();
    }
    const users = await this.users.find({
      where: { id: In(ids) },
      select: { id: true, username: true, type: true },
    });
    return new Map(users.map((u) => [u.id, u]));
  }
}

function userOf(users: Map<string, MemberUser>, id: string): MemberUser {
  return users.get(id) ?? { username: '', type: 'human' };
}
