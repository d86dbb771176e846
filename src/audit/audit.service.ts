import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, FindOptionsWhere, In, Repository } from 'typeorm';
import { AuthPrincipal } from '../auth/auth-types';
import { Page, pageWindow, toPage } from '../common/http/pagination';
import {
  AdminListAuditEventsQuery,
  AuditEventResponse,
  toAuditEventResponse,
} from './dto/audit-event.dto';
import { Membership } from '../workspaces/entities/membership.entity';
import { AuditEvent, AuditMetadata } from './entities/audit-event.entity';
import { publicUserType } from '../users/entities/user.entity';

export type AuditAction =
  | 'token.created'
  | 'token.rotated'
  | 'token.revoked'
  | 'token.updated'
  | 'token.ip_denied'
  | 'token.leaked'
  | 'token.looked_up'
  | 'user.created'
  | 'user.updated'
  | 'workspace.created'
  | 'workspace.updated'
  | 'workspace.plan_changed'
  | 'workspace.token_policy_updated'
  | 'member.added'
  | 'member.updated'
  | 'member.removed'
  | 'service_account.created'
  | 'service_account.deleted'
  | 'admin.bootstrap'
  | 'auth.failed'
  | 'auth.legacy_used'
  | 'auth.switch_user'
  | 'settings.updated'
  | 'user.two_factor_enabled'
  | 'user.two_factor_disabled'
  | 'two_factor.recovery_code_used'
  | 'two_factor.recovery_codes_regenerated'
  | 'two_factor.reset'
  | 'oauth_application.created'
  | 'oauth_application.deleted'
  | 'oauth_authorization.revoked'
  | 'web.login'
  | 'web.logout'
  | 'session.ended'
  | 'user.password_changed'
  | 'user.password_reset_created'
  | 'user.password_reset_used'
  | 'web.sudo'
  | 'webhook.created'
  | 'webhook.updated'
  | 'webhook.deleted'
  | 'webhook.redelivered';

export interface AuditEntry {
  action: AuditAction;
  actor: AuthPrincipal | null;
  workspaceId?: string | null;
  targetType?: string;
  targetId?: string;
  ip?: string | null;
  userAgent?: string | null;
  metadata?: AuditMetadata;
}

@Injectable()
export class AuditService {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  /** Records an event; pass the transaction's manager so the event commits with the change. */
  async record(entry: AuditEntry, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(AuditEvent) : this.events;
    const event = repo.create({
      id: randomUUID(),
      workspaceId: entry.workspaceId ?? null,
      actorId: entry.actor?.user.id ?? null,
      actorType: entry.actor ? publicUserType(entry.actor.user.type) : null,
      impersonatorId: entry.actor?.impersonatedBy?.id ?? null,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      ip: entry.ip ?? null,
      userAgent: entry.userAgent?.slice(0, 255) ?? null,
      metadata: entry.metadata ?? null,
      createdAt: new Date(),
    });
    await repo.insert(event);
  }

  /** Newest first; `workspaceId` undefined = every event (instance admins). */
  async list(
    query: AdminListAuditEventsQuery,
    workspaceId?: string,
  ): Promise<Page<AuditEventResponse>> {
    const window = pageWindow(query);
    const where: FindOptionsWhere<AuditEvent> = {};
    const scope = workspaceId ?? query.workspace_id;
    if (scope) {
      where.workspaceId = scope.toLowerCase();
    }
    if (query.action) {
      where.action = query.action;
    }
    if (query.actor_id) {
      where.actorId = query.actor_id.toLowerCase();
    }
    const [rows, total] = await this.events.findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: window.offset,
      take: window.limit,
    });
    if (workspaceId) {
      await this.hideOutsidersAddresses(rows, workspaceId);
    }
    return toPage(rows, total, window, toAuditEventResponse);
  }

  /**
   * A workspace's own log shows the address and browser of its members only: an instance
   * administrator changing the plan, or acting as a member through X-Switch-User, or a former
   * member, is named but not located.
   */
  private async hideOutsidersAddresses(rows: AuditEvent[], workspaceId: string): Promise<void> {
    const actors = [...new Set(rows.map((e) => e.actorId).filter((id) => id !== null))];
    const members = actors.length
      ? await this.events.manager.getRepository(Membership).find({
          select: { userId: true },
          where: { workspaceId, userId: In(actors) },
        })
      : [];
    const memberIds = new Set(members.map((m) => m.userId));
    for (const event of rows) {
      if (event.impersonatorId || !event.actorId || !memberIds.has(event.actorId)) {
        event.ip = null;
        event.userAgent = null;
      }
    }
  }
}
