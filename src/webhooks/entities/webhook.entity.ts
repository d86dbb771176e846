import { Column, Entity, Index } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';
import { EventType } from '../../events/entities/lifecycle-event.entity';

/** A workspace's webhook (SPEC §11.4): where its token lifecycle events are POSTed. */
@Entity('webhooks')
@Index('idx_webhooks_workspace', ['workspaceId', 'createdAt'])
export class Webhook {
  @IdColumn()
  id!: string;

  @RefColumn('workspace_id')
  workspaceId!: string;

  /** Without the password of its user-info (the user name stays): that is `urlPassword`. */
  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  /**
   * The password of the URL's user-info, as written in the URL, sealed with the at-rest key
   * (deliveries send it as Basic credentials); null without one. Selected with the row: the
   * shown URL says whether there is one (`user:***@`).
   */
  @Column({ name: 'url_password', type: 'text', nullable: true })
  urlPassword!: string | null;

  @Column({ type: 'simple-array' })
  events!: EventType[];

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  /** The signing secret, sealed with the at-rest key (signing needs the plaintext). */
  @Column({ type: 'text', select: false })
  secret!: string;

  @RefColumn('created_by', { nullable: true })
  createdBy!: string | null;

  @DateColumn('created_at')
  createdAt!: Date;

  @DateColumn('updated_at')
  updatedAt!: Date;
}
