import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { AuthPrincipal } from '../common/auth-types';
import { AuditEvent, AuditMetadata } from './entities/audit-event.entity';

export type AuditAction =
  | 'token.created'
  | 'token.rotated'
  | 'token.revoked'
  | 'user.created'
  | 'user.updated'
  | 'workspace.created'
  | 'workspace.updated'
  | 'workspace.plan_changed'
  | 'member.added'
  | 'member.updated'
  | 'member.removed'
  | 'admin.bootstrap';

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
}
