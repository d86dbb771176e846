import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { SecretBox } from '../common/crypto/secret-box';
import { notFound } from '../common/errors/api-error';
import { Page, pageWindow, toPage } from '../common/http/pagination';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { EVENT_TYPES } from '../events/entities/lifecycle-event.entity';
import { AtRestEncryption } from '../settings/at-rest-encryption.service';
import { randomBase62 } from '../tokens/token-format';
import { Workspace } from '../workspaces/entities/workspace.entity';
import {
  ListDeliveriesQuery,
  toDeliveryResponse,
  WebhookDeliveryResponse,
} from './dto/webhook-delivery.dto';
import {
  CreatedWebhookResponse,
  CreateWebhookRequest,
  ListWebhooksQuery,
  toWebhookResponse,
  UpdateWebhookRequest,
  WebhookResponse,
} from './dto/webhook.dto';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { Webhook } from './entities/webhook.entity';
import { resolveTarget, TargetRefused } from './webhook-address';
import { MASKED_PASSWORD, shownWebhookUrl, SplitWebhookUrl, splitWebhookUrl } from './webhook-url';
import { maskedPasswordRefused, webhookUrlNotAllowed } from './webhooks.errors';

/** The AAD of a webhook's sealed secret: a secret copied onto another webhook does not open. */
export const webhookSecretPurpose = (webhookId: string): string => `webhooks.secret:${webhookId}`;

/** The AAD of a webhook's sealed URL password, for the same reason. */
export const webhookUrlPasswordPurpose = (webhookId: string): string =>
  `webhooks.url_password:${webhookId}`;

const SECRET_PREFIX = 'whsec_';
const SECRET_LENGTH = 32;

/**
 * Webhooks of a workspace (SPEC §11.4): every query carries the workspace; another
 * workspace's webhook is a 404. Who may call is decided by the workspace policy
 * (WEBHOOK_ACTIONS) before these run. Deliveries are made by WebhookDeliveryWorker.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(Webhook) private readonly webhooks: Repository<Webhook>,
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    private readonly db: DatabaseService,
    private readonly audit: AuditService,
    private readonly atRest: AtRestEncryption,
  ) {}

  async list(workspace: Workspace, query: ListWebhooksQuery): Promise<Page<WebhookResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await this.webhooks.findAndCount({
      where: { workspaceId: workspace.id },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: window.offset,
      take: window.limit,
    });
    return toPage(rows, total, window, toWebhookResponse);
  }

  async get(workspace: Workspace, id: string): Promise<WebhookResponse> {
    return toWebhookResponse(await this.find(workspace, id));
  }

  /**
   * The one response that holds the signing secret; it is stored sealed with the at-rest key,
   * and so is the password of the URL's user-info, apart from the URL.
   */
  async create(
    me: AuthPrincipal,
    workspace: Workspace,
    dto: CreateWebhookRequest,
    meta: RequestMeta,
  ): Promise<CreatedWebhookResponse> {
    await this.assertUrlAllowed(dto.url);
    const given = splitWebhookUrl(dto.url);
    if (given.password === MASKED_PASSWORD) {
      throw maskedPasswordRefused('there is no stored password for it to stand for');
    }
    const id = randomUUID();
    const secret = SECRET_PREFIX + randomBase62(SECRET_LENGTH);
    const box = await this.atRest.box();
    const now = new Date();
    const webhook = this.webhooks.create({
      id,
      workspaceId: workspace.id,
      url: given.url,
      urlPassword:
        given.password === null ? null : box.seal(given.password, webhookUrlPasswordPurpose(id)),
      events: EVENT_TYPES.filter((e) => dto.events.includes(e)),
      active: dto.active ?? true,
      secret: box.seal(secret, webhookSecretPurpose(id)),
      createdBy: me.user.id,
      createdAt: now,
      updatedAt: now,
    });
    await this.db.transaction(async (m) => {
      await m.insert(Webhook, webhook);
      await this.audit.record(
        {
          action: 'webhook.created',
          actor: me,
          workspaceId: workspace.id,
          targetType: 'webhook',
          targetId: id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: {
            url: shownWebhookUrl(webhook.url, webhook.urlPassword !== null),
            events: webhook.events,
            active: webhook.active,
          },
        },
        m,
      );
    });
    return { ...toWebhookResponse(webhook), secret };
  }

  async update(
    me: AuthPrincipal,
    workspace: Workspace,
    id: string,
    dto: UpdateWebhookRequest,
    meta: RequestMeta,
  ): Promise<WebhookResponse> {
    if (dto.url !== undefined) {
      await this.assertUrlAllowed(dto.url);
    }
    const box = await this.atRest.box();
    return this.db.transaction(async (m) => {
      const current = await this.db.lockForUpdate(m, Webhook, id);
      if (!current || current.workspaceId !== workspace.id) {
        throw notFound('Webhook');
      }
      const next: Webhook = {
        ...current,
        events: dto.events ? EVENT_TYPES.filter((e) => dto.events?.includes(e)) : current.events,
        active: dto.active ?? current.active,
      };
      // The URL is compared with its password in plaintext (a new password alone is a change),
      // and shown redacted.
      let urlChanged = false;
      if (dto.url !== undefined) {
        const was = openStoredUrl(current, box);
        const given = splitWebhookUrl(dto.url);
        const password =
          given.password === MASKED_PASSWORD ? keptPassword(was, given) : given.password;
        urlChanged = given.url !== was.url || password !== was.password;
        if (urlChanged) {
          next.url = given.url;
          next.urlPassword =
            password === null ? null : box.seal(password, webhookUrlPasswordPurpose(id));
        }
      }
      const before = toWebhookResponse(current);
      const after = toWebhookResponse(next);
      const changed = (['url', 'events', 'active'] as const).filter((k) =>
        k === 'url' ? urlChanged : JSON.stringify(before[k]) !== JSON.stringify(after[k]),
      );
      if (changed.length === 0) {
        return before;
      }
      next.updatedAt = new Date();
      await m.update(
        Webhook,
        { id, workspaceId: workspace.id },
        {
          url: next.url,
          urlPassword: next.urlPassword,
          events: next.events,
          active: next.active,
          updatedAt: next.updatedAt,
        },
      );
      await this.audit.record(
        {
          action: 'webhook.updated',
          actor: me,
          workspaceId: workspace.id,
          targetType: 'webhook',
          targetId: id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: {
            before: Object.fromEntries(changed.map((k) => [k, before[k]])),
            after: Object.fromEntries(changed.map((k) => [k, after[k]])),
          },
        },
        m,
      );
      return toWebhookResponse(next);
    });
  }

  /** Deletes the webhook and its deliveries; a delivery in flight finds nothing to record. */
  async remove(
    me: AuthPrincipal,
    workspace: Workspace,
    id: string,
    meta: RequestMeta,
  ): Promise<void> {
    await this.db.transaction(async (m) => {
      const current = await this.db.lockForUpdate(m, Webhook, id);
      if (!current || current.workspaceId !== workspace.id) {
        throw notFound('Webhook');
      }
      await m.delete(WebhookDelivery, { webhookId: id });
      await m.delete(Webhook, { id, workspaceId: workspace.id });
      await this.audit.record(
        {
          action: 'webhook.deleted',
          actor: me,
          workspaceId: workspace.id,
          targetType: 'webhook',
          targetId: id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { url: shownWebhookUrl(current.url, current.urlPassword !== null) },
        },
        m,
      );
    });
  }

  /** Newest first. */
  async listDeliveries(
    workspace: Workspace,
    webhookId: string,
    query: ListDeliveriesQuery,
  ): Promise<Page<WebhookDeliveryResponse>> {
    await this.find(workspace, webhookId);
    const window = pageWindow(query);
    const [rows, total] = await this.deliveries.findAndCount({
      where: { webhookId },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: window.offset,
      take: window.limit,
    });
    return toPage(rows, total, window, toDeliveryResponse);
  }

  /**
   * Schedules one more attempt now, whatever the delivery's state: a failed delivery gets one
   * attempt (and is failed again if it fails), a delivered one is sent again.
   */
  async redeliver(
    me: AuthPrincipal,
    workspace: Workspace,
    webhookId: string,
    deliveryId: string,
    meta: RequestMeta,
  ): Promise<WebhookDeliveryResponse> {
    await this.find(workspace, webhookId);
    return this.db.transaction(async (m) => {
      const delivery = await this.db.lockForUpdate(m, WebhookDelivery, deliveryId);
      if (!delivery || delivery.webhookId !== webhookId) {
        throw notFound('Delivery');
      }
      const changes = {
        state: 'pending' as const,
        nextAttemptAt: new Date(),
        deliveredAt: null,
      };
      await m.update(WebhookDelivery, { id: deliveryId }, changes);
      await this.audit.record(
        {
          action: 'webhook.redelivered',
          actor: me,
          workspaceId: workspace.id,
          targetType: 'webhook_delivery',
          targetId: deliveryId,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { webhook_id: webhookId, event_id: delivery.eventId },
        },
        m,
      );
      return toDeliveryResponse({ ...delivery, ...changes });
    });
  }

  private async find(workspace: Workspace, id: string): Promise<Webhook> {
    const webhook = await this.webhooks.findOne({ where: { id, workspaceId: workspace.id } });
    if (!webhook) {
      throw notFound('Webhook');
    }
    return webhook;
  }

  /** 400 webhook_url_not_allowed unless the host is, and resolves to, public addresses only. */
  private async assertUrlAllowed(url: string): Promise<void> {
    if (this.config.webhooks.allowPrivate) {
      return;
    }
    try {
      await resolveTarget(new URL(url), false);
    } catch (error) {
      if (error instanceof TargetRefused) {
        throw webhookUrlNotAllowed(error.message);
      }
      throw error;
    }
  }
}

/**
 * A webhook's URL apart from its password, and the password in plaintext. A row not yet
 * upgraded (WebhookUrlPasswordUpgrade) still holds its password in the URL.
 */
export function openStoredUrl(webhook: Webhook, box: SecretBox): SplitWebhookUrl {
  const split = splitWebhookUrl(webhook.url);
  if (webhook.urlPassword === null) {
    return split;
  }
  return {
    url: split.url,
    password: box.open(webhook.urlPassword, webhookUrlPasswordPurpose(webhook.id)),
  };
}

/**
 * The stored password, for a URL sent back as shown (`user:***@…`): only with the URL
 * otherwise unchanged, so that the stored password never goes to another receiver.
 */
function keptPassword(was: SplitWebhookUrl, given: SplitWebhookUrl): string {
  if (was.password === null) {
    throw maskedPasswordRefused('this webhook has no stored password for it to stand for');
  }
  if (given.url !== was.url) {
    throw maskedPasswordRefused(
      'it keeps the stored password only with the rest of the URL unchanged; send the password with a new URL',
    );
  }
  return was.password;
}
