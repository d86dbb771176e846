import { UserType } from '../users/entities/user.entity';
import { AddressList } from './address-list';
import type { TokenQuota } from '../rate-limit/quota';

// Shared vocabulary of authentication and authorization (SPEC §4-§6).

export const SCOPES = ['read', 'write', 'delete', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export type AuthMethod =
  | 'bearer'
  | 'api_key'
  | 'query_key'
  | 'basic_token'
  | 'basic_password'
  | 'legacy_api_password'
  | 'oauth'
  // The web pages' session cookie (SPEC §4.6); the JSON API never resolves a principal from it.
  | 'session';

export function scopesAllow(granted: readonly Scope[], needed: Scope): boolean {
  return granted.includes('admin') || granted.includes(needed);
}

/** The user behind a request, as authentication resolved it. */
export interface PrincipalUser {
  id: string;
  username: string;
  email: string;
  isAdmin: boolean;
  /** A person, or a service account (SPEC §11.5): only API tokens ever act as one. */
  type: UserType;
}

export interface AuthPrincipal {
  user: PrincipalUser;
  method: AuthMethod;
  /** The API token used, when the credential was a token. */
  tokenId: string | null;
  /** What the credential may do; password credentials carry every scope. */
  scopes: Scope[];
  /** Workspace a token is bound to; null for instance tokens and non-token credentials. */
  tokenWorkspaceId: string | null;
  expiresAt: Date | null;
  impersonatedBy: PrincipalUser | null;
  /** The user has 2FA on: password credentials are refused except on 2FA management routes. */
  twoFactorEnabled: boolean;
  /** The OAuth access token used, when the credential was one (SPEC §9). */
  oauthTokenId?: string;
  /** The token's own request limit per window, overriding the instance default. */
  rateLimit?: number | null;
  /** An API token's restrictions (SPEC §11.1), parsed once when the token is loaded. */
  restrictions?: TokenRestrictions;
}

/** What an API token is restricted to, beyond its scopes and workspace (SPEC §11.1). */
export interface TokenRestrictions {
  /** The allow-list as stored (canonical entries); null: any address. */
  allowedCidrs: readonly string[] | null;
  /** The same, parsed for matching; null when `allowedCidrs` is. */
  addresses: AddressList | null;
  /** Projects of the token's workspace it reaches; null: all, empty: none. */
  projectIds: readonly string[] | null;
  /** When the token was created: its lifetime is measured from here (SPEC §11.3). */
  createdAt: Date;
  /** Requests per UTC day or month (SPEC §11.1); null: no quota. */
  quota: TokenQuota | null;
}

/** API tokens and OAuth access tokens: subject to the role's "use the API" permission. */
export function isTokenPrincipal(principal: AuthPrincipal): boolean {
  return principal.tokenId !== null || principal.oauthTokenId !== undefined;
}
