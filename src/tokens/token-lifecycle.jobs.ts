import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Not, Repository } from 'typeorm';
import { DatabaseService } from '../database/database.service';
import { EventsService } from '../events/events.service';
import { Scheduler, ScheduledJob } from '../scheduler/scheduler.service';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { ApiToken } from './entities/api-token.entity';
import { tokenEventData } from './token-events';
import { TokenUsageRecorder } from './token-usage.recorder';
import { TokensService, whereIdleSince } from './tokens.service';

const DAY_MS = 86_400_000;
/** Rows handled per query, and queries per step and run: a run stays short at any size. */
const BATCH = 500;
const MAX_BATCHES = 20;

/** The expiry notices, in order: the stage a token reaches, and how long before expiry. */
const NOTICES = [
  { stage: 1, beforeMs: 7 * DAY_MS, days: 7 },
  { stage: 2, beforeMs: DAY_MS, days: 1 },
] as const;
const EXPIRED_STAGE = 3;

/**
 * token.expiring 7 days and 1 day before a token's expiry, and token.expired at it (SPEC
 * §11.4). Each is recorded once per token, whatever the restarts and instances: the token's
 * `expiry_notice_stage` moves forward with a conditional update in the same transaction as the
 * event. A notice point that passed before the token was created is skipped, not sent late.
 * Tokens revoked or rotated away get no notice.
 */
@Injectable()
export class TokenExpiryJob implements ScheduledJob {
  readonly name = 'token-expiry';
  private readonly logger = new Logger(TokenExpiryJob.name);

  constructor(
    @InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>,
    private readonly db: DatabaseService,
    private readonly events: EventsService,
    scheduler: Scheduler,
  ) {
    scheduler.register(this);
  }

  async run(now: Date): Promise<number> {
    let handled = 0;
    for (const notice of NOTICES) {
      handled += await this.step(now, notice.stage, new Date(now.getTime() + notice.beforeMs), {
        type: 'token.expiring',
        beforeMs: notice.beforeMs,
        days: notice.days,
      });
    }
    handled += await this.step(now, EXPIRED_STAGE, now, { type: 'token.expired' });
    return handled;
  }

  /** Tokens below `stage` whose point (expiry, or `due` before it) has come. */
  private async step(
    now: Date,
    stage: number,
    due: Date,
    what: { type: 'token.expiring'; beforeMs: number; days: number } | { type: 'token.expired' },
  ): Promise<number> {
    let handled = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
      const query = this.tokens
        .createQueryBuilder('t')
        .where('t.expiry_notice_stage < :stage', { stage })
        .andWhere('t.expires_at <= :due', { due })
        .andWhere('t.revoked_at IS NULL')
        .andWhere('t.replaced_by_id IS NULL');
      if (what.type === 'token.expiring') {
        query.andWhere('t.expires_at > :now', { now });
      }
      const candidates = await query.orderBy('t.expires_at', 'ASC').take(BATCH).getMany();
      for (const token of candidates) {
        // The point passed before the token existed (created with less time left): skip it.
        const skip =
          what.type === 'token.expiring' &&
          token.createdAt.getTime() > token.expiresAt.getTime() - what.beforeMs;
        if (await this.advance(token, stage, skip ? null : what)) {
          handled += 1;
        }
      }
      if (candidates.length < BATCH) {
        break;
      }
    }
    return handled;
  }

  /** Moves the token to `stage` and records its event, once, in one transaction. */
  private advance(
    token: ApiToken,
    stage: number,
    what: { type: 'token.expiring'; days: number } | { type: 'token.expired' } | null,
  ): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const result = await m
        .createQueryBuilder()
        .update(ApiToken)
        .set({ expiryNoticeStage: stage })
        .where('id = :id', { id: token.id })
        .andWhere('expiry_notice_stage < :stage', { stage })
        .execute();
      if (!result.affected || !what) {
        return false;
      }
      await this.events.record(m, {
        type: what.type,
        workspaceId: token.workspaceId,
        data: tokenEventData(token, what.type === 'token.expiring' ? { days_left: what.days } : {}),
      });
      this.logger.debug(`${what.type} for token ${token.id}`);
      return true;
    });
  }
}

/**
 * Revokes tokens unused for their workspace's `idle_revoke_days` (SPEC §11.3, §11.4; reason
 * `idle`, audited and announced as token.revoked). A token never used counts from its creation.
 * Last use is written in batches (TokenUsageRecorder): this instance's pending uses are written
 * first; another instance's are at most a flush interval old, which days make irrelevant.
 */
@Injectable()
export class IdleRevocationJob implements ScheduledJob {
  readonly name = 'idle-revocation';

  constructor(
    @InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>,
    @InjectRepository(Workspace) private readonly workspaces: Repository<Workspace>,
    private readonly tokensService: TokensService,
    private readonly usage: TokenUsageRecorder,
    scheduler: Scheduler,
  ) {
    scheduler.register(this);
  }

  async run(now: Date): Promise<number> {
    await this.usage.flush();
    let handled = 0;
    let after = '';
    for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
      const workspaces = await this.workspaces.find({
        select: { id: true, tokenIdleRevokeDays: true },
        where: { tokenIdleRevokeDays: Not(IsNull()), id: MoreThan(after) },
        order: { id: 'ASC' },
        take: BATCH,
      });
      for (const workspace of workspaces) {
        handled += await this.revokeIdleIn(
          workspace.id,
          new Date(now.getTime() - (workspace.tokenIdleRevokeDays as number) * DAY_MS),
          now,
        );
      }
      if (workspaces.length < BATCH) {
        break;
      }
      after = workspaces[workspaces.length - 1].id;
    }
    return handled;
  }

  private async revokeIdleIn(workspaceId: string, cutoff: Date, now: Date): Promise<number> {
    let handled = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
      const idle = await whereIdleSince(
        this.tokens
          .createQueryBuilder('t')
          .where('t.workspace_id = :workspaceId', { workspaceId })
          .andWhere('t.revoked_at IS NULL')
          .andWhere('t.expires_at > :now', { now }),
        cutoff,
      )
        .take(BATCH)
        .getMany();
      for (const token of idle) {
        if (await this.tokensService.revokeToken(null, token, null, 'idle')) {
          handled += 1;
        }
      }
      if (idle.length < BATCH) {
        break;
      }
    }
    return handled;
  }
}

/** The token jobs, for the module's providers. */
export const TOKEN_JOBS = [TokenExpiryJob, IdleRevocationJob];
