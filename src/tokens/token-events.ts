import { EventData } from '../events/entities/lifecycle-event.entity';
import { ApiToken } from './entities/api-token.entity';

/**
 * What a lifecycle event says about a token (SPEC §11.4): enough to find it and its owner,
 * never its secret or its hash.
 */
export function tokenEventData(token: ApiToken, extra: EventData = {}): EventData {
  return {
    token: {
      id: token.id,
      name: token.name,
      token_prefix: token.tokenPrefix,
      user_id: token.userId,
      workspace_id: token.workspaceId,
      scopes: token.scopes,
      expires_at: token.expiresAt.toISOString(),
      revoked_at: token.revokedAt?.toISOString() ?? null,
      revoked_reason: token.revokedReason ?? null,
    },
    ...extra,
  };
}
