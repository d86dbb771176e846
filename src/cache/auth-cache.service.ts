import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Scope } from '../auth/auth-types';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { UserStatus } from '../users/entities/user.entity';
import { Membership } from '../workspaces/entities/membership.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { TtlMap } from './ttl-map';

/** What request authentication needs to know about a token and its owner. */
export interface CachedToken {
  id: string;
  userId: string;
  workspaceId: string | null;
  scopes: Scope[];
  expiresAt: Date;
  revokedAt: Date | null;
  rateLimit: number | null;
  user: { id: string; username: string; email: string; isAdmin: boolean; status: UserStatus };
}

/** An OAuth access token and its owner (SPEC §9). */
export interface CachedOAuthToken {
  id: string;
  applicationId: string;
  familyId: string;
  scopes: Scope[];
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
  user: { id: string; username: string; email: string; isAdmin: boolean; status: UserStatus };
}

export interface CachedMembership {
  workspace: Workspace;
  membership: Membership;
}

export type Invalidation =
  | { kind: 'token'; tokenId: string }
  | { kind: 'user'; userId: string }
  | { kind: 'workspace'; workspaceId: string }
  | { kind: 'membership'; workspaceId: string; userId: string }
  | { kind: 'oauth_family'; familyId: string }
  | { kind: 'oauth_application'; applicationId: string }
  | { kind: 'settings' };

const TTL_MS = 30_000;
const CHANNEL = 'tessera:auth-invalidate';
const PUBLISH_WAIT_MS = 500;

/**
 * In-memory cache of what every authenticated request looks up (token, owner, membership,
 * workspace plan and billing), so that a request costs no database read. Every change that
 * matters (revoke, rotate, user lock, membership, plan or billing change, settings) invalidates
 * the entries at once on this instance, and through Redis pub/sub on every instance when
 * REDIS_URL is set; entries also expire after 30 seconds as a backstop.
 */
@Injectable()
export class AuthCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuthCache.name);
  private readonly instanceId = randomUUID();
  readonly tokens = new TtlMap<string, CachedToken>(TTL_MS, 100_000);
  /** Hashes of well-formed tokens nobody issued (guessing, stale scripts). */
  readonly unknownTokens = new TtlMap<string, true>(TTL_MS, 100_000);
  readonly memberships = new TtlMap<string, CachedMembership>(TTL_MS, 100_000);
  readonly oauthTokens = new TtlMap<string, CachedOAuthToken>(TTL_MS, 100_000);
  private readonly listeners: Array<(event: Invalidation) => void> = [];
  /**
   * Bumped by every invalidation. A reader notes it before its database read and caches the
   * result only if it has not moved, so a read that raced a revocation is never kept.
   */
  private generation = 0;
  private publisher: Redis | null = null;
  private subscriber: Redis | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.redisUrl) {
      return;
    }
    const options = { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false };
    this.publisher = new Redis(this.config.redisUrl, options);
    this.subscriber = new Redis(this.config.redisUrl, options);
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    }
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    await this.subscriber.subscribe(CHANNEL);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const client of [this.publisher, this.subscriber]) {
      if (client) {
        await client.quit().catch(() => undefined);
      }
    }
  }

  get currentGeneration(): number {
    return this.generation;
  }

  /** Caches `value` unless an invalidation happened since `generation` was read. */
  store<V>(map: TtlMap<string, V>, key: string, value: V, generation: number): void {
    if (generation === this.generation) {
      map.set(key, value);
    }
  }

  membershipKey(workspaceId: string, userId: string): string {
    return `${workspaceId}:${userId}`;
  }

  /** Lets other caches (instance settings) hear about invalidations too. */
  onInvalidate(listener: (event: Invalidation) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Applies here at once and tells the other instances. Resolves once Redis has handed the
   * message to every subscribed instance (or after half a second), so a caller that awaits it
   * before answering — a revocation, a lock — answers only when the other instances have it on
   * their sockets: the client's next request, wherever it lands, finds the entry gone.
   */
  async invalidate(event: Invalidation): Promise<void> {
    this.apply(event);
    if (!this.publisher) {
      return;
    }
    const published = this.publisher.publish(
      CHANNEL,
      JSON.stringify({ from: this.instanceId, event }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), PUBLISH_WAIT_MS);
    });
    try {
      if ((await Promise.race([published, timeout])) === 'timeout') {
        this.logger.warn('Redis did not confirm an invalidation within 500 ms.');
      }
    } catch (error) {
      this.logger.warn(`Could not publish invalidation: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  clear(): void {
    this.generation += 1;
    this.tokens.clear();
    this.unknownTokens.clear();
    this.memberships.clear();
    this.oauthTokens.clear();
  }

  private receive(message: string): void {
    try {
      const parsed = JSON.parse(message) as { from: string; event: Invalidation };
      if (parsed.from !== this.instanceId) {
        this.apply(parsed.event);
      }
    } catch {
      this.logger.warn('Ignored a malformed invalidation message.');
    }
  }

  private apply(event: Invalidation): void {
    this.generation += 1;
    switch (event.kind) {
      case 'token':
        this.tokens.deleteWhere((t) => t.id === event.tokenId);
        break;
      case 'user':
        this.tokens.deleteWhere((t) => t.userId === event.userId);
        this.oauthTokens.deleteWhere((t) => t.user.id === event.userId);
        this.memberships.deleteWhere((m) => m.membership.userId === event.userId);
        break;
      case 'oauth_family':
        this.oauthTokens.deleteWhere((t) => t.familyId === event.familyId);
        break;
      case 'oauth_application':
        this.oauthTokens.deleteWhere((t) => t.applicationId === event.applicationId);
        break;
      case 'workspace':
        this.memberships.deleteWhere((m) => m.workspace.id === event.workspaceId);
        break;
      case 'membership':
        this.memberships.delete(this.membershipKey(event.workspaceId, event.userId));
        break;
      case 'settings':
        break;
    }
    for (const listener of this.listeners) {
      listener(event);
    }
  }
}
