import { Brackets, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { EventsService } from '../events/events.service';
import { ApiToken, RevokedReason } from './entities/api-token.entity';
import { tokenEventData } from './token-events';

export interface Revocation {
  /** Whole seconds, as every stored revocation time. */
  at: Date;
  reason: RevokedReason;
  /** The audit action and lifecycle event: a revocation, or a leak report's. */
  action: 'token.revoked' | 'token.leaked';
  actor: AuthPrincipal | null;
  meta: RequestMeta | null;
}

/**
 * Revokes `token` in `m`'s transaction unless it is revoked by `at` already, with its audit event
 * and lifecycle event (webhooks) in the same commit. The update is conditional, so that of two
 * concurrent revocations (a DELETE and a leak report, two reports) only one is announced: null
 * for the other. A revocation scheduled for later (a rotated token's grace period) is brought
 * forward.
 */
export async function revokeWithin(
  m: EntityManager,
  audit: AuditService,
  events: EventsService,
  token: ApiToken,
  revocation: Revocation,
): Promise<ApiToken | null> {
  const { at, reason, action, actor, meta } = revocation;
  const result = await m
    .createQueryBuilder()
    .update(ApiToken)
    .set({ revokedAt: at, revokedReason: reason })
    .where('id = :id', { id: token.id })
    .andWhere(
      new Brackets((b) => b.where('revoked_at IS NULL').orWhere('revoked_at > :at', { at })),
    )
    .execute();
  if (!result.affected) {
    return null;
  }
  const revoked: ApiToken = { ...token, revokedAt: at, revokedReason: reason };
  await audit.record(
    {
      action,
      actor,
      workspaceId: token.workspaceId,
      targetType: 'api_token',
      targetId: token.id,
      ip: meta?.ip ?? null,
      userAgent: meta?.userAgent ?? null,
      metadata: { token_prefix: token.tokenPrefix, owner_id: token.userId, reason },
    },
    m,
  );
  await events.record(m, {
    type: action,
    workspaceId: token.workspaceId,
    data: tokenEventData(revoked),
  });
  return revoked;
}
