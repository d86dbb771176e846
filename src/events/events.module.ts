import { Global, Module } from '@nestjs/common';
import { EventsService } from './events.service';

/** The lifecycle event outbox, for every feature that changes a token. */
@Global()
@Module({
  providers: [EventsService],
  exports: [EventsService],
})
export class EventsModule {}
