import { Global, Module } from '@nestjs/common';
import { AuthCache } from './auth-cache.service';

@Global()
@Module({ providers: [AuthCache], exports: [AuthCache] })
export class CacheModule {}
