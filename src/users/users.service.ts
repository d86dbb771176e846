import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, Not, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthCache } from '../cache/auth-cache.service';
import { AuthPrincipal } from '../auth/auth-types';
import { conflict, notFound, validationFailed } from '../common/errors/api-error';
import { Page, pageWindow, toPage } from '../common/http/pagination';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { PasswordHasher } from '../auth/password-hasher';
import { SessionsService } from '../sessions/sessions.service';
import { Membership } from '../workspaces/entities/membership.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { ServiceAccount } from '../workspaces/entities/service-account.entity';
import { assertServiceAccountChange } from '../workspaces/workspace-policy';
import {
  CreateUserRequest,
  ListUsersQuery,
  MeResponse,
  toUserResponse,
  UpdateUserRequest,
  UserResponse,
} from './dto/user.dto';
import { User } from './entities/user.entity';
import { loginKey } from './login-key';
import { assertAcceptablePassword } from './password-policy';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Membership) private readonly memberships: Repository<Membership>,
    @InjectRepository(Workspace) private readonly workspaces: Repository<Workspace>,
    @InjectRepository(ServiceAccount) private readonly serviceAccounts: Repository<ServiceAccount>,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
    private readonly sessions: SessionsService,
    private readonly failedAuth: FailedAuthLimiter,
  ) {}

  async me(principal: AuthPrincipal): Promise<MeResponse> {
    const user = await this.users.findOneByOrFail({ id: principal.user.id });
    const memberships = await this.memberships.find({
      where: principal.tokenWorkspaceId
        ? { userId: user.id, workspaceId: principal.tokenWorkspaceId }
        : { userId: user.id },
    });
    const workspaces = memberships.length
      ? await this.workspaces.findBy(memberships.map((m) => ({ id: m.workspaceId })))
      : [];
    const byId = new Map(workspaces.map((w) => [w.id, w]));
    return {
      ...toUserResponse(user),
      auth: {
        method: principal.method,
        token_id: principal.tokenId,
        scopes: principal.scopes,
        workspace_id: principal.tokenWorkspaceId,
        expires_at: principal.expiresAt?.toISOString() ?? null,
      },
      impersonated_by: principal.impersonatedBy
        ? { id: principal.impersonatedBy.id, username: principal.impersonatedBy.username }
        : null,
      workspaces: memberships
        .filter((m) => byId.has(m.workspaceId))
        .map((m) => {
          const workspace = byId.get(m.workspaceId) as Workspace;
          return { id: workspace.id, name: workspace.name, role: m.role, plan: workspace.plan };
        })
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  async list(query: ListUsersQuery): Promise<Page<UserResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await this.users.findAndCount({
      where: {
        ...(query.status ? { status: query.status } : {}),
        ...(query.type ? { type: query.type === 'user' ? 'human' : query.type } : {}),
      },
      order: { username: 'ASC' },
      skip: window.offset,
      take: window.limit,
    });
    return toPage(rows, total, window, toUserResponse);
  }

  async create(
    actor: AuthPrincipal | null,
    dto: CreateUserRequest,
    meta?: RequestMeta,
  ): Promise<UserResponse> {
    assertAcceptablePassword(dto.password, 'password', {
      username: dto.username,
      email: dto.email,
    });
    await this.assertAvailable(dto.username, dto.email);
    const now = new Date();
    const user = this.users.create({
      id: randomUUID(),
      username: dto.username,
      loginKey: loginKey(dto.username),
      email: dto.email.toLowerCase(),
      passwordHash: await this.hasher.hash(dto.password),
      isAdmin: dto.is_admin ?? false,
      status: 'active',
      type: 'human',
      legacyApiPasswordHash: null,
      totpSecret: null,
      totpEnabledAt: null,
      createdAt: now,
      updatedAt: now,
    });
    await this.users.insert(user);
    await this.audit.record({
      action: 'user.created',
      actor,
      targetType: 'user',
      targetId: user.id,
      ip: meta?.ip,
      userAgent: meta?.userAgent,
      metadata: { username: user.username, is_admin: user.isAdmin },
    });
    return toUserResponse(user);
  }

  async update(
    actor: AuthPrincipal,
    id: string,
    dto: UpdateUserRequest,
    meta: RequestMeta,
  ): Promise<UserResponse> {
    const user = await this.users.findOneBy({ id });
    if (!user) {
      throw notFound('User');
    }
    if (id === actor.user.id && (dto.status === 'locked' || dto.is_admin === false)) {
      throw conflict('You cannot lock yourself or remove your own admin rights.');
    }
    if (user.type === 'service_account') {
      await this.assertServiceAccountUpdate(id, dto);
    }
    const changes: Partial<User> = { updatedAt: new Date() };
    if (dto.status !== undefined) {
      changes.status = dto.status;
    }
    if (dto.is_admin !== undefined) {
      changes.isAdmin = dto.is_admin;
    }
    if (dto.password !== undefined) {
      assertAcceptablePassword(dto.password, 'password', {
        username: user.username,
        email: user.email,
      });
      changes.passwordHash = await this.hasher.hash(dto.password);
    }
    if (dto.legacy_api_password !== undefined) {
      changes.legacyApiPasswordHash =
        dto.legacy_api_password === null ? null : await this.hasher.hash(dto.legacy_api_password);
    }
    await this.users.update({ id }, changes);
    // A locked user's web sessions end (they do not come back on unlock); whoever knew the old
    // password may hold one too, so a new password ends them all as well.
    if (dto.status === 'locked' || dto.password !== undefined) {
      await this.sessions.endAll(id, dto.status === 'locked' ? 'user_locked' : 'password_changed', {
        actor,
        meta,
      });
    }
    await this.audit.record({
      action: 'user.updated',
      actor,
      targetType: 'user',
      targetId: id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: {
        fields: Object.keys(dto).filter((k) => (dto as Record<string, unknown>)[k] !== undefined),
      },
    });
    // Lock, admin rights: cached tokens of this user must be looked at again.
    await this.cache.invalidate({ kind: 'user', userId: id });
    return toUserResponse(await this.users.findOneByOrFail({ id }));
  }

  /** Whether `password` is the user's password (one KDF run: only on the routes that ask for it). */
  async verifyPassword(userId: string, password: string): Promise<boolean> {
    const user = await this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.id = :id', { id: userId })
      .getOne();
    // A service account has no password hash: no password is its password.
    return (
      user !== null &&
      user.passwordHash !== null &&
      password !== '' &&
      this.hasher.verify(user.passwordHash, password)
    );
  }

  /**
   * A user's own password change (SPEC §12): the current password is checked, the new one hashed,
   * and every other web session ends (`keepSessionId`, the browser it was made in, stays).
   * Audited as user.password_changed.
   */
  async changeOwnPassword(
    actor: AuthPrincipal,
    change: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
    keepSessionId: string | null,
  ): Promise<void> {
    const userId = actor.user.id;
    // The current password is a guess like any other.
    const right = await this.failedAuth.guess(meta.ip, userId, () =>
      this.verifyPassword(userId, change.currentPassword),
    );
    if (!right) {
      throw validationFailed([
        { field: 'current_password', message: 'The current password is wrong.' },
      ]);
    }
    assertAcceptablePassword(change.newPassword, 'new_password', {
      username: actor.user.username,
      email: actor.user.email,
    });
    const passwordHash = await this.hasher.hash(change.newPassword);
    await this.users.update({ id: userId }, { passwordHash, updatedAt: new Date() });
    const ended = await this.sessions.endAll(userId, 'password_changed', {
      actor,
      meta,
      exceptId: keepSessionId,
    });
    await this.audit.record({
      action: 'user.password_changed',
      actor,
      targetType: 'user',
      targetId: userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: { sessions_ended: ended },
    });
    await this.cache.invalidate({ kind: 'user', userId });
  }

  /** What an admin may change on a service account: only lock it, or unlock it until deleted. */
  private async assertServiceAccountUpdate(id: string, dto: UpdateUserRequest): Promise<void> {
    if (dto.password !== undefined) {
      assertServiceAccountChange({ kind: 'password' });
    }
    if (dto.legacy_api_password !== undefined && dto.legacy_api_password !== null) {
      assertServiceAccountChange({ kind: 'legacy_api_password' });
    }
    if (dto.is_admin !== undefined) {
      assertServiceAccountChange({ kind: 'admin_rights', isAdmin: dto.is_admin });
    }
    if (dto.status !== undefined) {
      const deleted = await this.serviceAccounts.existsBy({ id, deletedAt: Not(IsNull()) });
      assertServiceAccountChange({ kind: 'status', active: dto.status === 'active', deleted });
    }
  }

  async count(): Promise<number> {
    return this.users.count();
  }

  private async assertAvailable(username: string, email: string): Promise<void> {
    if (await this.users.existsBy({ loginKey: loginKey(username) })) {
      throw conflict(
        'This username is taken (logins are compared without regard to case or Unicode form).',
        'username',
      );
    }
    if (await this.users.existsBy({ email: email.toLowerCase() })) {
      throw conflict('This e-mail address is already used.', 'email');
    }
  }
}
