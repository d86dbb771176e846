import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { User } from '../users/entities/user.entity';
import { LegacyAuthUsage } from './entities/legacy-auth-usage.entity';
import { LegacyUsageRecorder } from './legacy-usage.recorder';

export type LegacyUsageRow = LegacyAuthUsage & { username: string };

/** Who still uses X-AUTH-* API passwords (SPEC §8), for the admin API and the admin page. */
@Injectable()
export class LegacyAuthUsageService {
  constructor(
    private readonly recorder: LegacyUsageRecorder,
    @InjectRepository(LegacyAuthUsage) private readonly usage: Repository<LegacyAuthUsage>,
    @InjectRepository(User) private readonly users: Repository<User>,
  ) {}

  /** Most recent use first, with each user's name; includes uses not yet written. */
  async report(window: { offset: number; limit: number }): Promise<[LegacyUsageRow[], number]> {
    await this.recorder.flush();
    const [rows, total] = await this.usage.findAndCount({
      order: { lastUsedAt: 'DESC', userId: 'ASC' },
      skip: window.offset,
      take: window.limit,
    });
    const users = rows.length
      ? await this.users.find({
          where: { id: In(rows.map((r) => r.userId)) },
          select: { id: true, username: true },
        })
      : [];
    const names = new Map(users.map((u) => [u.id, u.username]));
    return [rows.map((r) => Object.assign(r, { username: names.get(r.userId) ?? '' })), total];
  }
}
