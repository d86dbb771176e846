import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { AuthCache } from '../cache/auth-cache.service';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { InstanceSettings } from './entities/instance-settings.entity';
import { SettingsChanges, settingsDiff } from './settings-changes';

const SETTINGS_ID = 1;
// Without Redis, another instance's change is picked up within this time.
const RELOAD_MS = 30_000;

/** The instance settings row, read once and kept in memory until it changes. */
@Injectable()
export class SettingsService implements OnModuleInit {
  private cached: InstanceSettings | null = null;
  private loadedAt = 0;

  constructor(
    @InjectRepository(InstanceSettings) private readonly settings: Repository<InstanceSettings>,
    private readonly cache: AuthCache,
    private readonly audit: AuditService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.cache.onInvalidate((event) => {
      if (event.kind === 'settings') {
        this.cached = null;
      }
    });
    await this.load();
  }

  async get(): Promise<InstanceSettings> {
    if (this.cached && Date.now() - this.loadedAt < RELOAD_MS) {
      return this.cached;
    }
    return this.load();
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
    const current = await this.load();
    const { changes, audit } = settingsDiff(current, requested);
    if (Object.keys(audit).length === 0) {
      return current;
    }
    const updated = await this.update(changes);
    await this.audit.record({
      action: 'settings.updated',
      actor,
      targetType: 'settings',
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: audit,
    });
    return updated;
  }

  private async update(changes: SettingsChanges): Promise<InstanceSettings> {
    await this.settings.update({ id: SETTINGS_ID }, { ...changes, updatedAt: new Date() });
    await this.cache.invalidate({ kind: 'settings' });
    return this.load();
  }

  private async load(): Promise<InstanceSettings> {
    let row = await this.settings.findOneBy({ id: SETTINGS_ID });
    if (!row) {
      await this.settings
        .createQueryBuilder()
        .insert()
        .values({ id: SETTINGS_ID, updatedAt: new Date() })
        .orIgnore()
        .execute();
      row = await this.settings.findOneByOrFail({ id: SETTINGS_ID });
    }
    this.cached = row;
    this.loadedAt = Date.now();
    return row;
  }
}
