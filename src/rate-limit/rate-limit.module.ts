import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { FailedAuthLimiter } from './failed-auth.limiter';
import { MemoryRateLimitStore, RateLimitStore, RedisRateLimitStore } from './rate-limit-store';
import { QuotaLedger } from './quota-ledger';
import { principalOf, RateLimitGuard, requestLimitFor } from './rate-limit.guard';

/** Counters in Redis when REDIS_URL is set (shared by every instance), else in memory. */
function createStore(config: AppConfig): RateLimitStore {
  if (!config.redisUrl) {
    return new MemoryRateLimitStore();
  }
  // Instances share counters when they share a database; other deployments on the same Redis
  // (or parallel test runs) keep theirs apart.
  const database = config.database.type === 'mysql' ? config.database.url : config.database.path;
  const id = createHash('sha256').update(database).digest('hex').slice(0, 12);
  return new RedisRateLimitStore(config.redisUrl, `tessera:rl:${id}:`);
}

@Module({
  providers: [{ provide: RateLimitStore, useFactory: createStore, inject: [APP_CONFIG] }],
  exports: [RateLimitStore],
})
class RateLimitStoreModule {}

@Global()
@Module({
  imports: [
    RateLimitStoreModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStoreModule],
      inject: [APP_CONFIG, RateLimitStore],
      useFactory: (config: AppConfig, store: RateLimitStore) => ({
        storage: store,
        throttlers: [
          {
            name: 'default',
            ttl: config.rateLimit.windowMs,
            limit: (context) => requestLimitFor(principalOf(context), config),
            // No extra block: past its limit a token waits for its window to move on.
            blockDuration: 0,
          },
        ],
      }),
    }),
  ],
  providers: [RateLimitGuard, FailedAuthLimiter, QuotaLedger],
  exports: [RateLimitGuard, FailedAuthLimiter, QuotaLedger, RateLimitStoreModule],
})
export class RateLimitModule {}
