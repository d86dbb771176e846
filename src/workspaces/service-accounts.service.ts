import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import { EntityManager, In, IsNull, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { AuthCache } from '../cache/auth-cache.service';
import { notFound } from '../common/errors/api-error';
import { Page, PaginationQuery, pageWindow } from '../common/http/pagination';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { DatabaseService } from '../database/database.service';
import { CreatedTokenResponse, CreateTokenRequest, TokenResponse } from '../tokens/dto/token.dto';
import { TokensService } from '../tokens/tokens.service';
import { User } from '../users/entities/user.entity';
import { loginKey } from '../users/login-key';
import { CreateServiceAccountRequest, ServiceAccountResponse } from './dto/service-account.dto';
import { Membership } from './entities/membership.entity';
import { ServiceAccount } from './entities/service-account.entity';
import { Workspace } from './entities/workspace.entity';
import {
  assertWorkspaceAllows,
  SERVICE_ACCOUNT_ACTIONS,
  ServiceAccountRole,
} from './workspace-policy';

/** Where a service account call acts: a workspace and the caller's membership in it. */
export interface WorkspacePlace {
  workspace: Workspace;
  membership: Membership;
}

/** A service account with its tokens that have not been revoked, for the account page. */
export interface ServiceAccountOverview {
  account: ServiceAccountResponse;
  tokens: TokenResponse[];
}

// A service account's e-mail address is generated too: an RFC 2606 name that is never delivered.
const EMAIL_DOMAIN = 'service-accounts.invalid';

/**
 * Service accounts (SPEC §11.5): users of type service_account, without a password, that belong
 * to one workspace for good and act only through API tokens made for them by the people who
 * manage API access there. Every method applies the workspace policy for every caller (the API's
 * guard has applied it already; the pages rely on it here).
 */
@Injectable()
export class ServiceAccountsService {
  constructor(
    @InjectRepository(ServiceAccount) private readonly accounts: Repository<ServiceAccount>,
    @InjectRepository(Membership) private readonly memberships: Repository<Membership>,
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly db: DatabaseService,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
    private readonly tokens: TokensService,
  ) {}

  /** The workspace's service accounts that are not deleted, oldest first. */
  async list(
    me: AuthPrincipal,
    place: WorkspacePlace,
    query: PaginationQuery,
  ): Promise<Page<ServiceAccountResponse>> {
    assertWorkspaceAllows(place.workspace, place.membership, me, SERVICE_ACCOUNT_ACTIONS.list);
    const window = pageWindow(query);
    const [rows, total] = await this.accounts.findAndCount({
      where: { workspaceId: place.workspace.id, deletedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: window.offset,
      take: window.limit,
    });
    return {
      data: await this.describe(place.workspace.id, rows),
      total_count: total,
      offset: window.offset,
      limit: window.limit,
    };
  }

  /** Every service account of the workspace with its tokens that still work or expired. */
  async overview(me: AuthPrincipal, place: WorkspacePlace): Promise<ServiceAccountOverview[]> {
    const { data } = await this.list(me, place, { limit: 100 });
    const tokens = await this.tokens.listUnrevokedOf(
      place.workspace,
      data.map((a) => a.id),
    );
    return data.map((account) => ({
      account,
      tokens: tokens.filter((t) => t.user_id === account.id),
    }));
  }

  async create(
    me: AuthPrincipal,
    place: WorkspacePlace,
    dto: CreateServiceAccountRequest,
    meta: RequestMeta,
  ): Promise<ServiceAccountResponse> {
    assertWorkspaceAllows(place.workspace, place.membership, me, SERVICE_ACCOUNT_ACTIONS.create);
    const workspaceId = place.workspace.id;
    const name = dto.name.trim();
    const now = new Date();
    const id = randomUUID();
    const account = await this.db.transaction(async (m) => {
      const username = await this.freeUsername(m);
      await m.insert(User, {
        id,
        username,
        loginKey: loginKey(username),
        email: `${username}@${EMAIL_DOMAIN}`,
        // No hash at all: no password matches, on any route (SPEC §11.5).
        passwordHash: null,
        isAdmin: false,
        status: 'active',
        type: 'service_account',
        legacyApiPasswordHash: null,
        totpSecret: null,
        totpEnabledAt: null,
        totpLastStep: null,
        createdAt: now,
        updatedAt: now,
      });
      const account = m.create(ServiceAccount, {
        id,
        workspaceId,
        name,
        createdBy: me.user.id,
        createdAt: now,
        deletedBy: null,
        deletedAt: null,
      });
      await m.insert(ServiceAccount, account);
      await m.insert(Membership, {
        id: randomUUID(),
        workspaceId,
        userId: id,
        role: dto.role,
        createdAt: now,
        updatedAt: now,
      });
      await this.audit.record(
        {
          action: 'service_account.created',
          actor: me,
          workspaceId,
          targetType: 'user',
          targetId: id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { name, username, role: dto.role },
        },
        m,
      );
      return { account, username };
    });
    return toServiceAccountResponse(account.account, account.username, dto.role, 0);
  }

  /**
   * Deletes a service account: it leaves the workspace, every token of it is revoked now
   * (reason service_account_deleted) and its user is locked, so that nothing it held works
   * again. The record stays, so that its tokens and audit events keep naming it.
   */
  async delete(
    me: AuthPrincipal,
    place: WorkspacePlace,
    id: string,
    meta: RequestMeta,
  ): Promise<ServiceAccount> {
    assertWorkspaceAllows(place.workspace, place.membership, me, SERVICE_ACCOUNT_ACTIONS.delete);
    const workspaceId = place.workspace.id;
    const { account, revoked } = await this.db.transaction(async (m) => {
      // The lock token creation and rotation take: none of them for this account can commit
      // between the revocation below and the end of this transaction.
      await this.db.lockForUpdate(m, Workspace, workspaceId);
      const account = await this.findActive(m, workspaceId, id);
      const now = new Date();
      await m.delete(Membership, { workspaceId, userId: id });
      const revoked = await this.tokens.revokeServiceAccountTokens(m, id);
      await m.update(ServiceAccount, { id }, { deletedAt: now, deletedBy: me.user.id });
      await m.update(User, { id }, { status: 'locked', updatedAt: now });
      await this.audit.record(
        {
          action: 'service_account.deleted',
          actor: me,
          workspaceId,
          targetType: 'user',
          targetId: id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { name: account.name, tokens_revoked: revoked.length },
        },
        m,
      );
      return { account, revoked };
    });
    // Its cached tokens and membership, on every instance.
    await this.cache.invalidate({ kind: 'user', userId: id });
    for (const tokenId of revoked) {
      await this.cache.invalidate({ kind: 'token', tokenId });
    }
    return account;
  }

  /**
   * A new token of the service account, made by the caller: TokensService.create's rules apply
   * to the caller (scopes, expiry and rate limit at most the caller's own), the plan's token limit
   * counts it like any other.
   */
  async mintToken(
    me: AuthPrincipal,
    place: WorkspacePlace,
    id: string,
    dto: CreateTokenRequest,
    meta: RequestMeta,
  ): Promise<CreatedTokenResponse> {
    assertWorkspaceAllows(place.workspace, place.membership, me, SERVICE_ACCOUNT_ACTIONS.mintToken);
    const workspaceId = place.workspace.id;
    await this.findActive(this.accounts.manager, workspaceId, id);
    return this.tokens.create(me, place, dto, meta, {
      userId: id,
      confirm: async (m) => {
        await this.findActive(m, workspaceId, id);
      },
    });
  }

  /** A service account of this workspace that is not deleted; 404 otherwise. */
  async get(me: AuthPrincipal, place: WorkspacePlace, id: string): Promise<ServiceAccountResponse> {
    assertWorkspaceAllows(place.workspace, place.membership, me, SERVICE_ACCOUNT_ACTIONS.list);
    const account = await this.findActive(this.accounts.manager, place.workspace.id, id);
    const [described] = await this.describe(place.workspace.id, [account]);
    return described;
  }

  private async findActive(
    m: EntityManager,
    workspaceId: string,
    id: string,
  ): Promise<ServiceAccount> {
    const account = await m.findOneBy(ServiceAccount, { id, workspaceId, deletedAt: IsNull() });
    if (!account) {
      throw notFound('Service account');
    }
    return account;
  }

  private async describe(
    workspaceId: string,
    rows: ServiceAccount[],
  ): Promise<ServiceAccountResponse[]> {
    const ids = rows.map((a) => a.id);
    if (ids.length === 0) {
      return [];
    }
    const [memberships, users, active] = await Promise.all([
      this.memberships.find({ where: { workspaceId, userId: In(ids) } }),
      this.users.find({ where: { id: In(ids) }, select: { id: true, username: true } }),
      this.tokens.countActiveByOwner(workspaceId, ids),
    ]);
    const roles = new Map(memberships.map((m) => [m.userId, m.role as ServiceAccountRole]));
    const names = new Map(users.map((u) => [u.id, u.username]));
    return rows.map((a) =>
      toServiceAccountResponse(
        a,
        names.get(a.id) ?? '',
        roles.get(a.id) ?? 'member',
        active.get(a.id) ?? 0,
      ),
    );
  }

  /** `sa-` and 12 random hex digits, not taken by anyone (people may pick such logins too). */
  private async freeUsername(m: EntityManager): Promise<string> {
    for (;;) {
      const username = `sa-${randomBytes(6).toString('hex')}`;
      const taken = await m.existsBy(User, [
        { loginKey: loginKey(username) },
        { email: `${username}@${EMAIL_DOMAIN}` },
      ]);
      if (!taken) {
        return username;
      }
    }
  }
}

export function toServiceAccountResponse(
  account: ServiceAccount,
  username: string,
  role: ServiceAccountRole,
  activeTokens: number,
): ServiceAccountResponse {
  return {
    id: account.id,
    name: account.name,
    username,
    role,
    workspace_id: account.workspaceId,
    active_tokens: activeTokens,
    created_at: account.createdAt.toISOString(),
    created_by: account.createdBy,
  };
}
