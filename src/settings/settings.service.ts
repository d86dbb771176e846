import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthCache } from '../cache/auth-cache.service';
import { InvalidatingCache } from '../cache/invalidating-cache';
import { InstanceSettings } from './entities/instance-settings.entity';

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

  async update(changes: Partial<Omit<InstanceSettings, 'id'>>): Promise<InstanceSettings> {
    await this.settings.update({ id: SETTINGS_ID }, { ...changes, updatedAt: new Date() });
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
