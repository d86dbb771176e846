import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { InstanceSettings } from './entities/instance-settings.entity';

const SETTINGS_ID = 1;

/** The instance settings row, read once and kept in memory until it changes. */
@Injectable()
export class SettingsService implements OnModuleInit {
  private cached: InstanceSettings | null = null;

  constructor(
    @InjectRepository(InstanceSettings) private readonly settings: Repository<InstanceSettings>,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.load();
  }

  async get(): Promise<InstanceSettings> {
    return this.cached ?? this.load();
  }

  async update(changes: Partial<Omit<InstanceSettings, 'id'>>): Promise<InstanceSettings> {
    await this.settings.update({ id: SETTINGS_ID }, { ...changes, updatedAt: new Date() });
    this.cached = null;
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
    return row;
  }
}
