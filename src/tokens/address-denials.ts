import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { DatabaseService } from '../database/database.service';
import { EventsService } from '../events/events.service';
import { AuthPrincipal } from '../auth/auth-types';
import { TtlMap } from '../cache/ttl-map';
import { RateLimitStore } from '../rate-limit/rate-limit-store';
import { ApiToken } from './entities/api-token.entity';
import { tokenEventData } from './token-events';

const MINUTE_MS = 60_000;

/**
 * Audits `token.ip_denied` at most once a minute per token and address (SPEC §11.1), however
 * many requests a script fires from a wrong address and however many instances serve them:
 * the first denial of a minute is claimed in the shared counter store (Redis when configured),
 * and each instance also remembers its own claims so that a flood costs no round trip. While
 * the store does not answer, each instance still audits at most once a minute on its own.
 * Never on the request's critical path: the refusal does not wait for the audit write.
 */
@Injectable()
export class AddressDenials {
  private readonly logger = new Logger(AddressDenials.name);
  // Token and address pairs this instance has audited (or seen claimed) in the last minute: a
  // TtlMap forgets between half its lifetime and all of it, so it is given two minutes.
  private readonly recent = new TtlMap<string, true>(2 * MINUTE_MS, 10_000);

  constructor(
    private readonly store: RateLimitStore,
    private readonly audit: AuditService,
    private readonly events: EventsService,
    private readonly db: DatabaseService,
  ) {}

  record(principal: AuthPrincipal, ip: string, userAgent: string | undefined): void {
    const tokenId = principal.tokenId;
    if (!tokenId) {
      return;
    }
    const key = `ip-denied:${tokenId}:${ip}`;
    if (this.recent.get(key)) {
      return;
    }
    this.recent.set(key, true);
    void this.claimAndAudit(key, principal, tokenId, ip, userAgent).catch((error: Error) =>
      this.logger.warn(`Could not audit a refused address for token ${tokenId}: ${error.message}`),
    );
  }

  private async claimAndAudit(
    key: string,
    principal: AuthPrincipal,
    tokenId: string,
    ip: string,
    userAgent: string | undefined,
  ): Promise<void> {
    const claim = await this.store.tryIncrement(key, MINUTE_MS, Number.MAX_SAFE_INTEGER, 0);
    if (claim && claim.totalHits > 1) {
      return; // another instance audited this pair within the minute
    }
    const allowed = [...(principal.restrictions?.allowedCidrs ?? [])];
    // The audit event and the lifecycle event (webhooks) commit together.
    await this.db.transaction(async (m) => {
      await this.audit.record(
        {
          action: 'token.ip_denied',
          actor: principal,
          workspaceId: principal.tokenWorkspaceId,
          targetType: 'api_token',
          targetId: tokenId,
          ip,
          userAgent: userAgent ?? null,
          metadata: { allowed_cidrs: allowed },
        },
        m,
      );
      // The same token fields as every other token event (name, prefix, scopes, expiry…).
      const token = await m.findOneBy(ApiToken, { id: tokenId });
      const extra = { ip, allowed_cidrs: allowed };
      await this.events.record(m, {
        type: 'token.ip_denied',
        workspaceId: principal.tokenWorkspaceId,
        data: token
          ? tokenEventData(token, extra)
          : {
              token: {
                id: tokenId,
                user_id: principal.user.id,
                workspace_id: principal.tokenWorkspaceId,
              },
              ...extra,
            },
      });
    });
  }
}
