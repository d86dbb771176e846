import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { InvalidatingCache, InvalidationCounter } from './invalidating-cache';

export type Invalidation =
  | { kind: 'token'; tokenId: string }
  | { kind: 'token_issued'; tokenHash: string }
  | { kind: 'user'; userId: string }
  | { kind: 'workspace'; workspaceId: string }
  | { kind: 'membership'; workspaceId: string; userId: string }
  | { kind: 'oauth_family'; familyId: string }
  | { kind: 'oauth_application'; applicationId: string }
  | { kind: 'settings' };

/** What one invalidation drops from a cache: one key, or every value the predicate matches. */
export type Drop<V> = { key: string } | ((value: V) => boolean);

/** Per kind of invalidation, what it drops; kinds not listed drop nothing from that cache. */
export type DropRules<V> = {
  [Kind in Invalidation['kind']]?: (event: Extract<Invalidation, { kind: Kind }>) => Drop<V>;
};

export interface AuthCacheOptions<V> {
  // Distinct per cache; names the cache in sizes().
  name: string;
  dropOn: DropRules<V>;
  // Remember loads that found nothing (see InvalidatingCacheOptions).
  rememberMisses?: boolean;
  ttlMs?: number;
  maxEntries?: number;
}

const TTL_MS = 30_000;
const MAX_ENTRIES = 100_000;
const CHANNEL = 'tessera:auth-invalidate';
const PUBLISH_WAIT_MS = 500;

/**
 * The invalidation bus of the in-memory caches that every authenticated request reads (token,
 * owner, membership, workspace plan and billing, settings), so that a request costs no database
 * read. Each feature creates its cache here and declares which invalidations drop which entries.
 * Every change that matters (revoke, rotate, user lock, membership, plan or billing change,
 * settings) is applied at once on this instance, and through Redis pub/sub on every instance
 * when REDIS_URL is set; entries also expire within 30 seconds as a backstop.
 */
@Injectable()
export class AuthCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuthCache.name);
  private readonly instanceId = randomUUID();
  // Shared by every cache: any invalidation discards every load in flight.
  private readonly invalidations = new InvalidationCounter();
  private readonly caches = new Map<
    string,
    { size: () => number; drop: (event: Invalidation) => void }
  >();
  private publisher: Redis | null = null;
  private subscriber: Redis | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** A new cache, emptied by the invalidations its rules name; one per feature. */
  create<V extends object>(options: AuthCacheOptions<V>): InvalidatingCache<string, V> {
    if (this.caches.has(options.name)) {
      throw new Error(`An auth cache named ${options.name} exists already.`);
    }
    const cache = new InvalidatingCache<string, V>(
      {
        ttlMs: options.ttlMs ?? TTL_MS,
        maxEntries: options.maxEntries ?? MAX_ENTRIES,
        rememberMisses: options.rememberMisses,
      },
      this.invalidations,
    );
    this.caches.set(options.name, {
      size: () => cache.size,
      drop: (event) => {
        const drop = dropFor(options.dropOn, event);
        if (drop === undefined) {
          return;
        }
        if (typeof drop === 'function') {
          cache.deleteWhere(drop);
        } else {
          cache.delete(drop.key);
        }
      },
    });
    return cache;
  }

  /** Entries held per cache name (expired ones not yet swept included), for diagnostics. */
  sizes(): Record<string, number> {
    return Object.fromEntries([...this.caches].map(([name, cache]) => [name, cache.size()]));
  }

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
    this.invalidations.bump();
    for (const cache of this.caches.values()) {
      cache.drop(event);
    }
  }
}

function dropFor<V>(rules: DropRules<V>, event: Invalidation): Drop<V> | undefined {
  // A message from another instance may name a kind this version lacks (or 'constructor').
  if (!Object.hasOwn(rules, event.kind)) {
    return undefined;
  }
  // TypeScript cannot tie event.kind to its rule's parameter type; DropRules guarantees it.
  const rule = rules[event.kind] as ((event: Invalidation) => Drop<V>) | undefined;
  return rule?.(event);
}
