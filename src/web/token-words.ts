import { TokenResponse } from '../tokens/dto/token.dto';
import { RevokedReason } from '../tokens/entities/api-token.entity';
import { formatTime } from './web-forms';

/** Why a token was revoked, in words (SPEC §11.4 `revoked_reason`). */
const REVOKED_BECAUSE: Record<RevokedReason, string> = {
  manual: 'revoked by hand',
  rotated: 'replaced by rotation',
  idle: 'unused for too long',
  leaked: 'reported leaked',
  member_removed: 'its owner left the workspace',
  admin: 'revoked by an administrator',
  service_account_deleted: 'its service account was deleted',
};

/** A token's state as the pages show it: with the end of a rotation's grace, or the reason. */
export function tokenStateLabel(t: TokenResponse, now = Date.now()): string {
  if (t.state === 'active' && t.revoked_at && new Date(t.revoked_at).getTime() > now) {
    return `Rotated: works until ${formatTime(t.revoked_at)}`;
  }
  if (t.state === 'revoked') {
    return t.revoked_reason ? `Revoked: ${REVOKED_BECAUSE[t.revoked_reason]}` : 'Revoked';
  }
  return t.state === 'active' ? 'Active' : 'Expired';
}
