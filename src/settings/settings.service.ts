import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { AuthCache } from '../cache/auth-cache.service';
import { InvalidatingCache } from '../cache/invalidating-cache';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { DatabaseService } from '../database/database.service';
import { InstanceSettings } from './entities/instance-settings.entity';
import { SettingsChanges, settingsDiff } from './settings-changes';

const SETTINGS_ID = 1;
// Without Redis, another instance's change is picked up within this time.
const RELOAD_MS = 30_000;

/** The instance settings row, read once and kept in memory until it changes. */
@Injectable()
export class SettingsService implements OnModuleInit {
  // One entry: the row, dropped by every settings change here or on another instance.
  private readonly cache: InvalidatingCache<string, InstanceSettings>;

  constructor(
    @InjectRepository(InstanceSettings) private readonly settings: Repository<InstanceSettings>,
    private readonly authCache: AuthCache,
    private readonly audit: AuditService,
    private readonly db: DatabaseService,
  ) {
    this.cache = authCache.create<InstanceSettings>({
      name: 'settings',
      ttlMs: RELOAD_MS,
      maxEntries: 1,
      dropOn: { settings: () => ({ key: 'row' }) },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.get();
  }

  async get(): Promise<InstanceSettings> {
    return this.cache.get('row') ?? this.load();
  }

  /** The settings when they are in memory now, else undefined (nothing is read). */
  cached(): InstanceSettings | undefined {
    return this.cache.get('row') ?? undefined;
  }

  /**
   * Applies what differs from the stored settings and audits exactly that, for the API and the
   * admin page alike; a request that changes nothing writes and records nothing.
   */
  async change(
    actor: AuthPrincipal,
    requested: SettingsChanges,
    meta: RequestMeta,
  ): Promise<InstanceSettings> {
    // Diff against the row, not the cache: another instance may have changed it a moment ago.
    const current = await this.read();
    const { changes, audit } = settingsDiff(current, requested);
    if (Object.keys(audit).length === 0) {
      return current;
    }
    // The change and its audit event commit together, or neither does.
    await this.db.transaction(async (m) => {
      await m.update(InstanceSettings, { id: SETTINGS_ID }, { ...changes, updatedAt: new Date() });
      await this.audit.record(
        {
          action: 'settings.updated',
          actor,
          targetType: 'settings',
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: audit,
        },
        m,
      );
    });
    await this.authCache.invalidate({ kind: 'settings' });
    return this.load();
  }

  private async load(): Promise<InstanceSettings> {
    const row = await this.cache.getOrLoad('row', () => this.read());
    if (!row) {
      // Unreachable: read() creates the row when it is missing.
      throw new Error('The instance settings row is missing.');
    }
    return row;
  }

  private async read(): Promise<InstanceSettings> {
    const row = await this.settings.findOneBy({ id: SETTINGS_ID });
    if (row) {
      return row;
    }
    await this.settings
      .createQueryBuilder()
      .insert()
      .values({ id: SETTINGS_ID, updatedAt: new Date() })
      .orIgnore()
      .execute();
    return this.settings.findOneByOrFail({ id: SETTINGS_ID });
  }
}
