import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthCache } from '../cache/auth-cache.service';
import { InstanceSettings } from './entities/instance-settings.entity';

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

  async update(changes: Partial<Omit<InstanceSettings, 'id'>>): Promise<InstanceSettings> {
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
