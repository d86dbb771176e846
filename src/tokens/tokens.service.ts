import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import {
  Brackets,
  EntityManager,
  In,
  IsNull,
  MoreThan,
  ObjectLiteral,
  Repository,
  SelectQueryBuilder,
} from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuditMetadata } from '../audit/entities/audit-event.entity';
import { AuthCache } from '../cache/auth-cache.service';
import { AuthPrincipal, Scope, scopesAllow } from '../auth/auth-types';
import {
  assertTokenPolicyAllows,
  assertWorkspaceAllows,
  existingTokenTerms,
  LifetimeField,
  managesApiAccess,
  TOKEN_ACTIONS,
  tokenComplies,
  TokenPolicy,
  tokenPolicyOf,
  WorkspaceAction,
} from '../workspaces/workspace-policy';
import { tokenLimitFor } from '../workspaces/roles-and-plans';
import { ApiError, FieldError, notFound, validationFailed } from '../common/errors/api-error';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { Page, pageWindow, toPage } from '../common/http/pagination';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { DatabaseService } from '../database/database.service';
import { SettingsService } from '../settings/settings.service';
import { Membership } from '../workspaces/entities/membership.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { User } from '../users/entities/user.entity';
import {
  AdminListTokensQuery,
  CreatedTokenResponse,
  CreateTokenRequest,
  ListTokensQuery,
  RotateTokenRequest,
  TokenResponse,
  tokenQuota,
  toTokenResponse,
  UpdateTokenRequest,
} from './dto/token.dto';
import { canonicalEntry, MAX_ALLOWED_CIDRS } from '../auth/address-list';
import {
  inheritedRestrictions,
  RestrictionsRequest,
  wideningRefusal,
} from '../auth/token-restriction-policy';
import { Project } from '../projects/entities/project.entity';
import { QuotaLedger } from '../rate-limit/quota-ledger';
import { ApiToken, RevokedReason } from './entities/api-token.entity';
import { TokenFormat, sha256Hex } from './token-format';
import { TokenErrors } from './tokens.errors';
import { tokenEventData } from './token-events';
import { revokeWithin } from './token-revocation';
import { EventsService } from '../events/events.service';

const DAY_MS = 86_400_000;
const MAX_PROJECT_IDS = 100;

/** Where a token call acts: a workspace (with the caller's membership) or instance level. */
export interface TokenScope {
  workspace?: Workspace;
  membership?: Membership;
}

/**
 * Whose token a creation makes when it is not the caller's own: a service account's, made by
 * someone who manages API access in its workspace (SPEC §11.5). The rules still apply to the
 * caller (scopes, expiry, rate limit at most their own).
 */
export interface TokenOwner {
  userId: string;
  /**
   * Confirms, inside the creating transaction and after the workspace row lock, that the owner
   * may still have a token (a service account deleted meanwhile may not); throws otherwise.
   */
  confirm(m: EntityManager): Promise<void>;
}

@Injectable()
export class TokensService {
  constructor(
    @InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>,
    @InjectRepository(Project) private readonly projects: Repository<Project>,
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly format: TokenFormat,
    private readonly db: DatabaseService,
    private readonly settings: SettingsService,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
    private readonly events: EventsService,
    private readonly quotas: QuotaLedger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(
    me: AuthPrincipal,
    where: TokenScope,
    dto: CreateTokenRequest,
    meta: RequestMeta,
    owner?: TokenOwner,
  ): Promise<CreatedTokenResponse> {
    assertAllowedIn(where, me, TOKEN_ACTIONS.create);
    if (owner && !where.workspace) {
      throw new ApiError(500, 'internal_error', 'A token for someone else needs a workspace.');
    }
    const expiresAt = await this.resolveExpiry(dto);
    this.assertWithinCaller(me, dto.scopes, expiresAt);
    this.assertRateLimitAllowed(me, dto.rate_limit);
    const restrictions = await this.resolveRestrictions(
      me,
      where.workspace?.id ?? null,
      dto,
      inheritedRestrictions(me),
    );
    assertTokenPolicyAllows(
      where.workspace,
      {
        scopes: dto.scopes,
        lifetimeMs: expiresAt.getTime() - Date.now(),
        allowedCidrs: restrictions.allowedCidrs,
      },
      lifetimeFieldOf(dto),
    );

    const secret = this.format.generate();
    const token = await this.db.transaction(async (m) => {
      if (where.workspace) {
        await this.assertBelowLimit(m, where.workspace.id);
      }
      await owner?.confirm(m);
      const created = m.create(ApiToken, {
        id: randomUUID(),
        userId: owner?.userId ?? me.user.id,
        workspaceId: where.workspace?.id ?? null,
        name: dto.name.trim(),
        tokenPrefix: this.format.displayPrefix(secret),
        tokenHash: this.freshHash(secret),
        scopes: orderScopes(dto.scopes),
        // A token's own limit is its children's default as well as their ceiling.
        rateLimit: dto.rate_limit ?? (me.tokenId !== null ? (me.rateLimit ?? null) : null),
        expiresAt,
        lastUsedAt: null,
        lastUsedIp: null,
        revokedAt: null,
        revokedReason: null,
        replacedById: null,
        createdAt: wholeSeconds(new Date()),
        allowedCidrs: restrictions.allowedCidrs,
        projectIds: restrictions.projectIds,
        quotaLimit: dto.quota?.limit ?? null,
        quotaPeriod: dto.quota?.period ?? null,
      });
      await m.insert(ApiToken, created);
      await this.audit.record(
        {
          action: 'token.created',
          actor: me,
          workspaceId: created.workspaceId,
          targetType: 'api_token',
          targetId: created.id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: {
            name: created.name,
            scopes: created.scopes,
            token_prefix: created.tokenPrefix,
            allowed_cidrs: created.allowedCidrs,
            project_ids: created.projectIds,
            ...(created.quotaLimit !== null ? { quota: { ...dto.quota } } : {}),
            ...(owner ? { owner_id: owner.userId } : {}),
          },
        },
        m,
      );
      await this.events.record(m, {
        type: 'token.created',
        workspaceId: created.workspaceId,
        data: tokenEventData(created),
      });
      return created;
    });
    return { ...toTokenResponse(token, policyIn(where)), token: secret };
  }

  async list(
    me: AuthPrincipal,
    where: TokenScope,
    query: ListTokensQuery,
  ): Promise<Page<TokenResponse>> {
    const window = pageWindow(query);
    const everyone = query.all === 'true';
    if (everyone && !this.mayManage(where)) {
      throw TokenErrors.cannotManage();
    }
    const qb = this.tokens
      .createQueryBuilder('t')
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'ASC')
      .skip(window.offset)
      .take(window.limit);
    if (where.workspace) {
      qb.where('t.workspace_id = :ws', { ws: where.workspace.id });
    } else {
      qb.where('t.workspace_id IS NULL');
    }
    if (!everyone) {
      qb.andWhere('t.user_id = :uid', { uid: me.user.id });
    }
    applyStateFilter(qb, query.state ?? 'active', new Date());
    const [rows, total] = await qb.getManyAndCount();
    const policy = policyIn(where);
    const used = await this.quotaCounts(rows);
    return toPage(rows, total, window, (token) => toTokenResponse(token, policy, used));
  }

  async get(me: AuthPrincipal, where: TokenScope, id: string): Promise<TokenResponse> {
    const token = await this.findVisible(me, where, id);
    return toTokenResponse(token, policyIn(where), await this.quotaCounts([token]));
  }

  /** What each token with a quota has spent of it in the current period (`quota_used`). */
  quotaCounts(tokens: readonly ApiToken[]): Promise<Map<string, number>> {
    return this.quotas.usedBy(tokens.map((t) => ({ id: t.id, quota: tokenQuota(t) })));
  }

  /** The token if `me` may see it here (as GET /tokens/:id decides), else 404. */
  visible(me: AuthPrincipal, where: TokenScope, id: string): Promise<ApiToken> {
    return this.findVisible(me, where, id);
  }

  /** The token of this request; `where` is its workspace (the route checked the binding). */
  async self(me: AuthPrincipal, where: TokenScope): Promise<TokenResponse> {
    if (!me.tokenId) {
      throw new ApiError(
        HttpStatus.NOT_FOUND,
        'not_found',
        'This request was not made with an API token, so there is no current token to show.',
      );
    }
    const token = await this.tokens.findOneBy({ id: me.tokenId });
    if (!token) {
      throw notFound('Token');
    }
    return toTokenResponse(token, policyIn(where), await this.quotaCounts([token]));
  }

  /**
   * PATCH: name, address allow-list, projects and rate limit (SPEC §11.1), by the token's owner
   * or a user who manages API access in its workspace. Applies on the next request on every
   * instance (the token's cache entries are dropped everywhere).
   */
  async update(
    me: AuthPrincipal,
    where: TokenScope,
    id: string,
    dto: UpdateTokenRequest,
    meta: RequestMeta,
  ): Promise<TokenResponse> {
    assertAllowedIn(where, me, TOKEN_ACTIONS.update);
    const token = await this.findVisible(me, where, id);
    const changes: Partial<ApiToken> = {};
    if (dto.name !== undefined) {
      changes.name = dto.name.trim();
    }
    if (dto.rate_limit !== undefined) {
      // null is the instance default: as wide as the instance allows (0: no limit at all).
      const instanceLimit = this.config.rateLimit.requests;
      this.assertRateLimitAllowed(
        me,
        dto.rate_limit ?? (instanceLimit > 0 ? instanceLimit : Number.MAX_SAFE_INTEGER),
      );
      changes.rateLimit = dto.rate_limit;
    }
    if (dto.quota !== undefined) {
      changes.quotaLimit = dto.quota?.limit ?? null;
      changes.quotaPeriod = dto.quota?.period ?? null;
    }
    if (dto.allowed_cidrs !== undefined || dto.project_ids !== undefined) {
      const restrictions = await this.resolveRestrictions(me, token.workspaceId, dto, {
        allowedCidrs: token.allowedCidrs,
        projectIds: token.projectIds,
      });
      changes.allowedCidrs = restrictions.allowedCidrs;
      changes.projectIds = restrictions.projectIds;
      // A change never takes a token out of its workspace's token policy (removing an
      // allow-list the policy requires); one already outside it is refused in use anyway.
      if (tokenComplies(policyIn(where), token)) {
        assertTokenPolicyAllows(
          where.workspace,
          existingTokenTerms({ ...token, ...changes }),
          'expires_at',
        );
      }
    }
    const changed = changedFields(token, changes);
    if ('quota_limit' in changed || 'quota_period' in changed) {
      delete changed.quota_limit;
      delete changed.quota_period;
      changed.quota = dto.quota ? { limit: dto.quota.limit, period: dto.quota.period } : null;
    }
    if (Object.keys(changed).length === 0) {
      return toTokenResponse(token, policyIn(where), await this.quotaCounts([token]));
    }
    await this.db.transaction(async (m) => {
      await m.update(ApiToken, { id: token.id }, changes);
      await this.audit.record(
        {
          action: 'token.updated',
          actor: me,
          workspaceId: token.workspaceId,
          targetType: 'api_token',
          targetId: token.id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { token_prefix: token.tokenPrefix, owner_id: token.userId, ...changed },
        },
        m,
      );
    });
    await this.cache.invalidate({ kind: 'token', tokenId: token.id });
    const updated = { ...token, ...changes };
    return toTokenResponse(updated, policyIn(where), await this.quotaCounts([updated]));
  }

  async rotate(
    me: AuthPrincipal,
    where: TokenScope,
    id: string,
    dto: RotateTokenRequest,
    meta: RequestMeta,
  ): Promise<CreatedTokenResponse> {
    assertAllowedIn(where, me, TOKEN_ACTIONS.rotate);
    // Someone else's token only when it belongs to a service account (SPEC §11.5): rotating a
    // person's token would hand its new secret to someone else.
    const old = await this.findVisible(me, where, id, { ownOrServiceAccount: true });
    const now = Date.now();
    const active =
      (!old.revokedAt || old.revokedAt.getTime() > now) && old.expiresAt.getTime() > now;
    if (!active || old.replacedById) {
      throw TokenErrors.notRotatable();
    }
    const explicitExpiry = dto.expires_in_days !== undefined || dto.expires_at !== undefined;
    const expiresAt = explicitExpiry ? await this.resolveExpiry(dto) : old.expiresAt;
    this.assertWithinCaller(me, old.scopes, expiresAt);
    // The replacement keeps the old scopes and allow-list: the policy judges them as new.
    assertTokenPolicyAllows(
      where.workspace,
      {
        scopes: old.scopes,
        lifetimeMs: expiresAt.getTime() - Date.now(),
        allowedCidrs: old.allowedCidrs,
      },
      lifetimeFieldOf(dto),
    );

    const secret = this.format.generate();
    const graceSeconds = dto.grace_seconds ?? 0;
    const endedGrace: string[] = [];
    const replacement = await this.db.transaction(async (m) => {
      if (old.workspaceId) {
        // Waits for a service account's deletion in progress (it holds this lock while it
        // revokes every token of the account), so a replacement is never left behind by it.
        await this.db.lockForUpdate(m, Workspace, old.workspaceId);
      }
      const created = m.create(ApiToken, {
        ...old,
        id: randomUUID(),
        tokenPrefix: this.format.displayPrefix(secret),
        tokenHash: this.freshHash(secret),
        expiresAt,
        lastUsedAt: null,
        lastUsedIp: null,
        revokedAt: null,
        revokedReason: null,
        replacedById: null,
        createdAt: wholeSeconds(new Date()),
      });
      await m.insert(ApiToken, created);
      // Conditional on "not yet replaced" (so two concurrent rotations cannot both win) and "not
      // revoked" (an active token that was never replaced has no revocation time at all).
      const result = await m.update(
        ApiToken,
        { id: old.id, replacedById: IsNull(), revokedAt: IsNull() },
        {
          replacedById: created.id,
          revokedAt: wholeSeconds(new Date(Date.now() + graceSeconds * 1000)),
          revokedReason: 'rotated',
        },
      );
      if (!result.affected) {
        throw TokenErrors.notRotatable();
      }
      // One grace token per chain: the token this one replaced stops now, whatever grace it
      // had left, so rotating again and again never piles up working tokens beyond the plan.
      endedGrace.push(...(await this.endGraceOfPredecessors(m, old.id)));
      await this.audit.record(
        {
          action: 'token.rotated',
          actor: me,
          workspaceId: old.workspaceId,
          targetType: 'api_token',
          targetId: old.id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { replaced_by: created.id, grace_seconds: graceSeconds },
        },
        m,
      );
      await this.events.record(m, {
        type: 'token.created',
        workspaceId: created.workspaceId,
        data: tokenEventData(created, { replaces: old.id }),
      });
      await this.events.record(m, {
        type: 'token.revoked',
        workspaceId: old.workspaceId,
        data: tokenEventData(
          {
            ...old,
            replacedById: created.id,
            revokedAt: wholeSeconds(new Date(Date.now() + graceSeconds * 1000)),
            revokedReason: 'rotated',
          },
          { replaced_by: created.id },
        ),
      });
      return created;
    });
    for (const tokenId of [old.id, ...endedGrace]) {
      await this.cache.invalidate({ kind: 'token', tokenId });
    }
    return { ...toTokenResponse(replacement, policyIn(where)), token: secret };
  }

  /** Revokes now the still-working predecessors of a rotated token; returns their ids. */
  private async endGraceOfPredecessors(m: EntityManager, tokenId: string): Promise<string[]> {
    const now = wholeSeconds(new Date());
    const inGrace = await m.find(ApiToken, {
      select: { id: true },
      where: { replacedById: tokenId, revokedAt: MoreThan(now) },
    });
    if (inGrace.length > 0) {
      await m.update(ApiToken, { id: In(inGrace.map((t) => t.id)) }, { revokedAt: now });
    }
    return inGrace.map((t) => t.id);
  }

  async revoke(me: AuthPrincipal, where: TokenScope, id: string, meta: RequestMeta): Promise<void> {
    assertAllowedIn(where, me, TOKEN_ACTIONS.revoke);
    await this.revokeToken(me, await this.findVisible(me, where, id), meta, 'manual');
  }

  /**
   * Revokes a removed member's tokens in a workspace, inside the caller's transaction (the
   * membership goes in the same one). The caller invalidates the user's cache entries after.
   */
  async revokeMemberTokens(m: EntityManager, workspaceId: string, userId: string): Promise<void> {
    const active = await m.find(ApiToken, { where: { workspaceId, userId, revokedAt: IsNull() } });
    if (active.length === 0) {
      return;
    }
    const now = wholeSeconds(new Date());
    await m.update(
      ApiToken,
      { id: In(active.map((t) => t.id)), revokedAt: IsNull() },
      { revokedAt: now, revokedReason: 'member_removed' },
    );
    for (const token of active) {
      await this.events.record(m, {
        type: 'token.revoked',
        workspaceId,
        data: tokenEventData({ ...token, revokedAt: now, revokedReason: 'member_removed' }),
      });
    }
  }

  /**
   * Revokes every token of a deleted service account now, grace periods of rotated tokens
   * included, inside the caller's transaction; returns their ids for the cache.
   */
  async revokeServiceAccountTokens(m: EntityManager, userId: string): Promise<string[]> {
    const now = wholeSeconds(new Date());
    const working = await m
      .getRepository(ApiToken)
      .createQueryBuilder('t')
      .where('t.user_id = :userId', { userId })
      .andWhere(
        new Brackets((b) =>
          b.where('t.revoked_at IS NULL').orWhere('t.revoked_at > :now', { now }),
        ),
      )
      .getMany();
    if (working.length === 0) {
      return [];
    }
    await m.update(
      ApiToken,
      { id: In(working.map((t) => t.id)) },
      { revokedAt: now, revokedReason: 'service_account_deleted' },
    );
    for (const token of working) {
      await this.events.record(m, {
        type: 'token.revoked',
        workspaceId: token.workspaceId,
        data: tokenEventData({
          ...token,
          revokedAt: now,
          revokedReason: 'service_account_deleted',
        }),
      });
    }
    return working.map((t) => t.id);
  }

  /** Every token of the instance, for instance admins (SPEC §8). */
  async adminList(query: AdminListTokensQuery): Promise<Page<TokenResponse>> {
    const window = pageWindow(query);
    const qb = this.tokens
      .createQueryBuilder('t')
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'ASC')
      .skip(window.offset)
      .take(window.limit)
      .where('1 = 1');
    if (query.user_id) {
      qb.andWhere('t.user_id = :uid', { uid: query.user_id.toLowerCase() });
    }
    if (query.workspace_id) {
      qb.andWhere('t.workspace_id = :ws', { ws: query.workspace_id.toLowerCase() });
    }
    const now = new Date();
    if (query.idle_days !== undefined) {
      whereIdleSince(qb, new Date(now.getTime() - query.idle_days * DAY_MS));
    }
    if (query.expiring_within_days !== undefined) {
      qb.andWhere('t.expires_at > :expNow AND t.expires_at <= :expUntil', {
        expNow: now,
        expUntil: new Date(now.getTime() + query.expiring_within_days * DAY_MS),
      });
    }
    applyStateFilter(qb, query.state ?? 'all', now);
    const [rows, total] = await qb.getManyAndCount();
    const [policies, used] = await Promise.all([this.policiesOf(rows), this.quotaCounts(rows)]);
    return toPage(rows, total, window, (token) =>
      toTokenResponse(
        token,
        token.workspaceId ? (policies.get(token.workspaceId) ?? null) : null,
        used,
      ),
    );
  }

  /** The token policies of the tokens' workspaces, in one query. */
  async policiesOf(tokens: readonly ApiToken[]): Promise<Map<string, TokenPolicy>> {
    const ids = [...new Set(tokens.flatMap((t) => (t.workspaceId ? [t.workspaceId] : [])))];
    const workspaces = ids.length
      ? await this.tokens.manager.findBy(Workspace, { id: In(ids) })
      : [];
    return new Map(workspaces.map((w) => [w.id, tokenPolicyOf(w)]));
  }

  async adminRevoke(me: AuthPrincipal, id: string, meta: RequestMeta): Promise<void> {
    const token = await this.tokens.findOneBy({ id });
    if (!token) {
      throw notFound('Token');
    }
    await this.revokeToken(me, token, meta, 'admin');
  }

  /**
   * Revokes a token now, with its reason, audited and announced (token.revoked) in one
   * transaction. `me` is null for the scheduler's own revocations. Conditional on the token
   * still working, so that two revocations racing each other record one revocation; returns
   * whether this call revoked it.
   */
  async revokeToken(
    me: AuthPrincipal | null,
    token: ApiToken,
    meta: RequestMeta | null,
    reason: RevokedReason,
  ): Promise<boolean> {
    const now = new Date();
    if (token.revokedAt && token.revokedAt.getTime() <= now.getTime()) {
      return false; // already revoked: DELETE is idempotent
    }
    const revoked = await this.db.transaction((m) =>
      revokeWithin(m, this.audit, this.events, token, {
        at: wholeSeconds(now),
        reason,
        action: 'token.revoked',
        actor: me,
        meta,
      }),
    );
    await this.cache.invalidate({ kind: 'token', tokenId: token.id });
    return revoked !== null;
  }

  /** Active tokens that count against the plan: not revoked, not expired, not rotated away. */
  async countActive(workspaceId: string, manager?: EntityManager): Promise<number> {
    const repo = manager ? manager.getRepository(ApiToken) : this.tokens;
    const now = new Date();
    return repo
      .createQueryBuilder('t')
      .where('t.workspace_id = :ws', { ws: workspaceId })
      .andWhere('t.replaced_by_id IS NULL')
      .andWhere('t.expires_at > :now', { now })
      .andWhere(
        new Brackets((b) =>
          b.where('t.revoked_at IS NULL').orWhere('t.revoked_at > :now', { now }),
        ),
      )
      .getCount();
  }

  /** The tokens of these owners in a workspace that were not revoked, newest first. */
  async listUnrevokedOf(workspace: Workspace, userIds: string[]): Promise<TokenResponse[]> {
    if (userIds.length === 0) {
      return [];
    }
    const rows = await this.tokens
      .createQueryBuilder('t')
      .where('t.workspace_id = :ws', { ws: workspace.id })
      .andWhere('t.user_id IN (:...userIds)', { userIds })
      .andWhere(
        new Brackets((b) =>
          b.where('t.revoked_at IS NULL').orWhere('t.revoked_at > :now', { now: new Date() }),
        ),
      )
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'ASC')
      .take(1000)
      .getMany();
    const policy = tokenPolicyOf(workspace);
    const used = await this.quotaCounts(rows);
    return rows.map((token) => toTokenResponse(token, policy, used));
  }

  /** Active tokens of each of these owners in a workspace (counted as countActive counts). */
  async countActiveByOwner(workspaceId: string, userIds: string[]): Promise<Map<string, number>> {
    if (userIds.length === 0) {
      return new Map();
    }
    const now = new Date();
    const rows = await this.tokens
      .createQueryBuilder('t')
      .select('t.user_id', 'user_id')
      .addSelect('COUNT(*)', 'active')
      .where('t.workspace_id = :ws', { ws: workspaceId })
      .andWhere('t.user_id IN (:...userIds)', { userIds })
      .andWhere('t.replaced_by_id IS NULL')
      .andWhere('t.expires_at > :now', { now })
      .andWhere(
        new Brackets((b) =>
          b.where('t.revoked_at IS NULL').orWhere('t.revoked_at > :now', { now }),
        ),
      )
      .groupBy('t.user_id')
      .getRawMany<{ user_id: string; active: number | string }>();
    return new Map(rows.map((r) => [r.user_id, Number(r.active)]));
  }

  /** The hash of a new secret, forgotten by the unknown-token cache (it exists now). */
  private freshHash(secret: string): string {
    const hash = sha256Hex(secret);
    // Applied here at once; telling the other instances need not hold up the creation.
    void this.cache.invalidate({ kind: 'token_issued', tokenHash: hash });
    return hash;
  }

  private async assertBelowLimit(m: EntityManager, workspaceId: string): Promise<void> {
    // The row lock makes concurrent creations in one workspace wait for each other (MySQL);
    // SQLite transactions are already serialized by DatabaseService.
    const workspace = await this.db.lockForUpdate(m, Workspace, workspaceId);
    if (!workspace) {
      throw notFound('Workspace');
    }
    const limit = tokenLimitFor(workspace.plan, workspace.tokenPacks);
    if (limit !== null && (await this.countActive(workspaceId, m)) >= limit) {
      throw TokenErrors.limitReached(limit);
    }
  }

  private async resolveExpiry(dto: {
    expires_in_days?: number;
    expires_at?: string;
  }): Promise<Date> {
    const { maxTokenLifetimeDays: maxDays } = await this.settings.get();
    if (dto.expires_in_days !== undefined && dto.expires_at !== undefined) {
      throw TokenErrors.expiryTwice();
    }
    const now = Date.now();
    if (dto.expires_in_days !== undefined) {
      if (dto.expires_in_days < 1 || dto.expires_in_days > maxDays) {
        throw TokenErrors.expiryOutOfRange('expires_in_days', maxDays);
      }
      return wholeSeconds(new Date(now + dto.expires_in_days * DAY_MS));
    }
    if (dto.expires_at !== undefined) {
      const at = new Date(dto.expires_at);
      const lifetime = at.getTime() - now;
      // One minute of slack below a day absorbs clock skew and the time the request took.
      if (Number.isNaN(lifetime) || lifetime < DAY_MS - 60_000 || lifetime > maxDays * DAY_MS) {
        throw TokenErrors.expiryOutOfRange('expires_at', maxDays);
      }
      return wholeSeconds(at);
    }
    throw TokenErrors.expiryMissing();
  }

  private assertWithinCaller(me: AuthPrincipal, scopes: readonly Scope[], expiresAt: Date): void {
    if (me.oauthTokenId !== undefined) {
      // A grant to a third-party application must not turn into a longer-lived, wider secret
      // that outlives the grant's revocation.
      throw TokenErrors.oauthCannotMint();
    }
    if (me.tokenId === null) {
      return; // password credentials act with the user's full rights
    }
    if (!scopes.every((scope) => scopesAllow(me.scopes, scope))) {
      throw TokenErrors.scopesExceedCaller();
    }
    if (me.expiresAt && expiresAt.getTime() > me.expiresAt.getTime()) {
      throw TokenErrors.expiryExceedsCaller();
    }
  }

  /**
   * The restrictions a created or changed token gets: the request's, in canonical form, else
   * `base`; projects must be the workspace's own; never wider than a token caller's own.
   */
  private async resolveRestrictions(
    me: AuthPrincipal,
    workspaceId: string | null,
    dto: { allowed_cidrs?: string[] | null; project_ids?: string[] | null },
    base: RestrictionsRequest,
  ): Promise<RestrictionsRequest> {
    const allowedCidrs =
      dto.allowed_cidrs === undefined
        ? base.allowedCidrs
        : dto.allowed_cidrs === null
          ? null
          : canonicalAllowList(dto.allowed_cidrs);
    let projectIds =
      dto.project_ids === undefined
        ? base.projectIds
        : dto.project_ids === null
          ? null
          : [...new Set(dto.project_ids.map((projectId) => projectId.toLowerCase()))];
    if (dto.project_ids !== undefined && dto.project_ids !== null) {
      projectIds = await this.assertProjectsInWorkspace(workspaceId, projectIds ?? []);
    }
    const wider = wideningRefusal(me, { allowedCidrs, projectIds });
    if (wider) {
      throw wider;
    }
    return { allowedCidrs, projectIds };
  }

  private async assertProjectsInWorkspace(
    workspaceId: string | null,
    projectIds: string[],
  ): Promise<string[]> {
    if (workspaceId === null) {
      throw validationFailed([
        {
          field: 'project_ids',
          message:
            'An instance token belongs to no workspace, so it cannot be restricted to projects.',
        },
      ]);
    }
    if (projectIds.length > MAX_PROJECT_IDS) {
      throw validationFailed([
        {
          field: 'project_ids',
          message: `Give at most ${MAX_PROJECT_IDS} projects, or null for all.`,
        },
      ]);
    }
    if (projectIds.length === 0) {
      return projectIds;
    }
    const found = await this.projects.find({
      select: { id: true },
      where: { workspaceId, id: In(projectIds) },
    });
    const known = new Set(found.map((p) => p.id));
    const unknown = projectIds.filter((projectId) => !known.has(projectId));
    if (unknown.length > 0) {
      throw validationFailed(
        unknown.map((projectId) => ({
          field: 'project_ids',
          message: `No project ${projectId} in this workspace.`,
        })),
      );
    }
    return projectIds;
  }

  /**
   * A token's own rate limit may be lower than the instance's; only an instance administrator
   * (acting as themselves) may raise it, and a token never mints one above its own.
   */
  private assertRateLimitAllowed(me: AuthPrincipal, rateLimit: number | undefined): void {
    if (rateLimit === undefined) {
      return;
    }
    const own = me.rateLimit ?? this.config.rateLimit.requests;
    const mayRaise =
      me.user.isAdmin &&
      !me.impersonatedBy &&
      (me.rateLimit === null || me.rateLimit === undefined);
    if (own > 0 && rateLimit > own && !mayRaise) {
      throw validationFailed([
        {
          field: 'rate_limit',
          message: `rate_limit can be at most ${own}; ask an instance administrator for more.`,
        },
      ]);
    }
  }

  private mayManage(where: TokenScope): boolean {
    return !!where.membership && managesApiAccess(where.membership);
  }

  /**
   * Own tokens, or any token of the workspace for those who manage API access (with
   * `ownOrServiceAccount`: only service accounts' tokens beside their own); else 404.
   */
  private async findVisible(
    me: AuthPrincipal,
    where: TokenScope,
    id: string,
    options: { ownOrServiceAccount?: boolean } = {},
  ): Promise<ApiToken> {
    const token = await this.tokens.findOneBy({
      id,
      workspaceId: where.workspace ? where.workspace.id : IsNull(),
    });
    if (!token) {
      throw notFound('Token');
    }
    if (token.userId === me.user.id) {
      return token;
    }
    const visible =
      this.mayManage(where) &&
      (!options.ownOrServiceAccount ||
        (await this.users.existsBy({ id: token.userId, type: 'service_account' })));
    if (!visible) {
      throw notFound('Token');
    }
    return token;
  }
}

/** The token policy where a call acts; none at instance level. */
function policyIn(where: TokenScope): TokenPolicy | null {
  return where.workspace ? tokenPolicyOf(where.workspace) : null;
}

/** The request field that set a token's expiry (an unchanged expiry on rotation: expires_in_days). */
function lifetimeFieldOf(dto: { expires_at?: string }): LifetimeField {
  return dto.expires_at !== undefined ? 'expires_at' : 'expires_in_days';
}

/** The workspace policy for a token action; instance level (no workspace) has no plan or role. */
function assertAllowedIn(where: TokenScope, me: AuthPrincipal, action: WorkspaceAction): void {
  if (where.workspace && where.membership) {
    assertWorkspaceAllows(where.workspace, where.membership, me, action);
  }
}

// DATETIME columns keep whole seconds (MariaDB truncates the rest, MySQL rounds it up or down):
// cut the milliseconds before saving, so responses match the stored row on every database and
// a revocation is never stored up to half a second in the future.
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function orderScopes(scopes: Scope[]): Scope[] {
  const order: Scope[] = ['read', 'write', 'delete', 'admin'];
  return order.filter((scope) => scopes.includes(scope));
}

/**
 * Tokens (alias `t`) unused since `cutoff`: last used before it, or never used and created
 * before it. One definition for the admin inventory's `idle_days` and the idle revocation job.
 */
export function whereIdleSince<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  cutoff: Date,
): SelectQueryBuilder<T> {
  return qb.andWhere(
    '((t.last_used_at IS NULL AND t.created_at <= :idleCutoff) OR t.last_used_at <= :idleCutoff)',
    { idleCutoff: cutoff },
  );
}

function applyStateFilter(
  qb: SelectQueryBuilder<ApiToken>,
  state: 'active' | 'expired' | 'revoked' | 'all',
  now: Date,
): void {
  const notRevoked = new Brackets((b) =>
    b.where('t.revoked_at IS NULL').orWhere('t.revoked_at > :now', { now }),
  );
  switch (state) {
    case 'active':
      qb.andWhere(notRevoked).andWhere('t.expires_at > :now', { now });
      break;
    case 'expired':
      qb.andWhere(notRevoked).andWhere('t.expires_at <= :now', { now });
      break;
    case 'revoked':
      qb.andWhere('t.revoked_at <= :now', { now });
      break;
    case 'all':
      break;
  }
}

/**
 * The allow-list in canonical form, without duplicates; 400 naming each entry that is not an
 * address or block. (The API's DTO refuses these first; the pages reach this directly.)
 */
function canonicalAllowList(entries: string[]): string[] {
  const problems: FieldError[] = [];
  const canonical = entries.map((entry, i) => {
    const value = canonicalEntry(entry);
    if (value === null) {
      problems.push({
        field: `allowed_cidrs[${i}]`,
        message: `“${entry.slice(0, 64)}” is not an IPv4 or IPv6 address or CIDR block (e.g. 203.0.113.0/24).`,
      });
    }
    return value ?? '';
  });
  if (entries.length === 0 || entries.length > MAX_ALLOWED_CIDRS) {
    problems.push({
      field: 'allowed_cidrs',
      message: `Give 1 to ${MAX_ALLOWED_CIDRS} addresses or blocks, or null for any address.`,
    });
  }
  if (problems.length > 0) {
    throw validationFailed(problems);
  }
  return [...new Set(canonical)];
}

/** The fields `changes` really changes, by API field name with their new values (audited). */
function changedFields(token: ApiToken, changes: Partial<ApiToken>): AuditMetadata {
  const names: Partial<Record<keyof ApiToken, string>> = {
    name: 'name',
    rateLimit: 'rate_limit',
    quotaLimit: 'quota_limit',
    quotaPeriod: 'quota_period',
    allowedCidrs: 'allowed_cidrs',
    projectIds: 'project_ids',
  };
  const out: AuditMetadata = {};
  for (const [key, value] of Object.entries(changes) as Array<[keyof ApiToken, unknown]>) {
    if (JSON.stringify(token[key]) !== JSON.stringify(value)) {
      out[names[key] ?? key] = value as AuditMetadata[string];
    }
  }
  return out;
}
