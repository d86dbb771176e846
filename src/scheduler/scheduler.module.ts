import { Global, Module } from '@nestjs/common';
import { Scheduler } from './scheduler.service';

/** The scheduler (SPEC §11.4); features register their jobs with it. */
@Global()
@Module({
  providers: [Scheduler],
  exports: [Scheduler],
})
export class SchedulerModule {}
