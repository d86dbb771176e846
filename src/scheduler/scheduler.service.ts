import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Brackets, DataSource } from 'typeorm';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { SchedulerLease } from './entities/scheduler-lease.entity';

/** A job the scheduler runs once per interval across all instances. */
export interface ScheduledJob {
  readonly name: string;
  /** Does one bounded run's work; returns how many items it handled. */
  run(now: Date): Promise<number>;
}

/** What the scheduler has done on this instance, per job (for the metrics endpoint). */
export interface JobCounters {
  runs: number;
  /** Ticks where another instance held the lease. */
  skipped: number;
  failures: number;
  items: number;
}

/**
 * Runs the scheduled jobs (SPEC §11.4) every SCHEDULER_INTERVAL_SECONDS on every instance; a
 * lease row per job in the database makes each run happen on one instance only: a tick takes
 * the lease with one conditional UPDATE (free or expired), runs the job, and leaves the lease in
 * place until most of the interval has passed. Jobs are also safe to overlap (each item is
 * claimed with its own conditional update), so a lease that runs out mid-run never sends
 * anything twice. On shutdown the timer stops and a run in progress is awaited.
 */
@Injectable()
export class Scheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Scheduler.name);
  private readonly holder = randomUUID();
  private readonly jobs: ScheduledJob[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  readonly counters = new Map<string, JobCounters>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Called by the modules that own jobs, at construction. */
  register(job: ScheduledJob): void {
    this.jobs.push(job);
    this.counters.set(job.name, { runs: 0, skipped: 0, failures: 0, items: 0 });
  }

  onApplicationBootstrap(): void {
    if (this.config.schedulerIntervalMs > 0) {
      // The first tick soon after start (jittered, so that instances started together do
      // not all reach for the lease at once), then every interval.
      this.schedule(Math.min(this.config.schedulerIntervalMs, 1000 + Math.random() * 1000));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) {
      return;
    }
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = null;
        this.schedule(this.config.schedulerIntervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  /** One round: each job whose lease this instance gets, in turn. */
  async tick(): Promise<void> {
    for (const job of this.jobs) {
      if (this.stopped) {
        return;
      }
      const counters = this.counters.get(job.name) as JobCounters;
      try {
        const now = new Date();
        if (!(await this.acquire(job.name, now))) {
          counters.skipped += 1;
          continue;
        }
        counters.items += await job.run(now);
        counters.runs += 1;
        await this.dataSource
          .getRepository(SchedulerLease)
          .update({ job: job.name, holder: this.holder }, { lastRunAt: now });
      } catch (error) {
        counters.failures += 1;
        // The lease runs out by itself; the next tick (here or elsewhere) tries again.
        this.logger.warn(`Scheduled job ${job.name} failed: ${(error as Error).message}`);
      }
    }
  }

  /** Takes the job's lease if it is free or has run out; true when this instance holds it. */
  private async acquire(job: string, now: Date): Promise<boolean> {
    const leases = this.dataSource.getRepository(SchedulerLease);
    const until = new Date(now.getTime() + Math.floor(this.config.schedulerIntervalMs * 0.9));
    const take = (): Promise<{ affected?: number }> =>
      leases
        .createQueryBuilder()
        .update(SchedulerLease)
        .set({ holder: this.holder, leaseUntil: until })
        .where('job = :job', { job })
        .andWhere(
          new Brackets((b) =>
            b.where('lease_until IS NULL').orWhere('lease_until <= :now', { now }),
          ),
        )
        .execute();
    if ((await take()).affected) {
      return true;
    }
    if (await leases.existsBy({ job })) {
      return false;
    }
    // The job's first run anywhere: create its row (one instance wins), then take it.
    await leases
      .createQueryBuilder()
      .insert()
      .into(SchedulerLease)
      .values({ job, holder: null, leaseUntil: null, lastRunAt: null })
      .orIgnore()
      .execute();
    return Boolean((await take()).affected);
  }
}
