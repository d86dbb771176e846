import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { EventData, EventType, LifecycleEvent } from './entities/lifecycle-event.entity';

export interface NewEvent {
  type: EventType;
  workspaceId: string | null;
  data: EventData;
}

/**
 * Records lifecycle events in the outbox (SPEC §11.4). Always inside the caller's transaction:
 * the event commits with the change it announces, or neither does.
 */
@Injectable()
export class EventsService {
  async record(manager: EntityManager, event: NewEvent): Promise<LifecycleEvent> {
    const row = manager.create(LifecycleEvent, {
      id: randomUUID(),
      type: event.type,
      workspaceId: event.workspaceId,
      data: event.data,
      createdAt: new Date(),
    });
    // `data` is free-form JSON, which TypeORM's deep-partial insert type cannot express.
    await manager.insert(LifecycleEvent, row as QueryDeepPartialEntity<LifecycleEvent>);
    return row;
  }
}
