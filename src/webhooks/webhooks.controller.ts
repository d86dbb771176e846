import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { CurrentWorkspace, Principal } from '../auth/decorators/request-params.decorator';
import { Page } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { WEBHOOK_ACTIONS } from '../workspaces/workspace-policy';
import {
  ListDeliveriesQuery,
  WebhookDeliveryListResponse,
  WebhookDeliveryResponse,
} from './dto/webhook-delivery.dto';
import {
  CreatedWebhookResponse,
  CreateWebhookRequest,
  ListWebhooksQuery,
  UpdateWebhookRequest,
  WebhookListResponse,
  WebhookResponse,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

// The workspace policy's webhook actions (owners and admins: managing API access).
const READ = { ...WEBHOOK_ACTIONS.read, workspace: 'header' } as const;
const WRITE = { ...WEBHOOK_ACTIONS.write, workspace: 'header' } as const;
const DELETE = { ...WEBHOOK_ACTIONS.delete, workspace: 'header' } as const;
const auth = ({ scope, permission, workspace }: typeof READ | typeof WRITE | typeof DELETE) =>
  Auth({ scope, permission, workspace });

@ApiTags('webhooks')
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @auth(READ)
  @ApiOperation({ summary: 'Webhooks of the workspace (owners and admins)' })
  @ApiOkResponse({ type: WebhookListResponse })
  list(
    @CurrentWorkspace() workspace: Workspace,
    @Query() query: ListWebhooksQuery,
  ): Promise<Page<WebhookResponse>> {
    return this.webhooks.list(workspace, query);
  }

  @Post()
  @auth(WRITE)
  @ApiOperation({
    summary: 'Create a webhook',
    description:
      'The response is the only time the signing secret is shown. A URL whose host is or resolves to a loopback, ' +
      'private, link-local or metadata address is refused with 400 webhook_url_not_allowed. Audited as webhook.created.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookResponse })
  create(
    @Principal() me: AuthPrincipal,
    @CurrentWorkspace() workspace: Workspace,
    @Body() dto: CreateWebhookRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<CreatedWebhookResponse> {
    return this.webhooks.create(me, workspace, dto, meta);
  }

  @Get(':id')
  @auth(READ)
  @ApiOperation({ summary: 'One webhook (without its secret)' })
  @ApiOkResponse({ type: WebhookResponse })
  get(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id', new UuidParam('Webhook')) id: string,
  ): Promise<WebhookResponse> {
    return this.webhooks.get(workspace, id);
  }

  @Patch(':id')
  @auth(WRITE)
  @ApiOperation({
    summary: 'Change a webhook’s url, events or active',
    description: 'Only the fields sent change. Audited as webhook.updated.',
  })
  @ApiOkResponse({ type: WebhookResponse })
  update(
    @Principal() me: AuthPrincipal,
    @CurrentWorkspace() workspace: Workspace,
    @Param('id', new UuidParam('Webhook')) id: string,
    @Body() dto: UpdateWebhookRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<WebhookResponse> {
    return this.webhooks.update(me, workspace, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @auth(DELETE)
  @ApiOperation({ summary: 'Delete a webhook and its deliveries (audited as webhook.deleted)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(
    @Principal() me: AuthPrincipal,
    @CurrentWorkspace() workspace: Workspace,
    @Param('id', new UuidParam('Webhook')) id: string,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.webhooks.remove(me, workspace, id, meta);
  }

  @Get(':id/deliveries')
  @auth(READ)
  @ApiOperation({ summary: 'Deliveries of a webhook, newest first' })
  @ApiOkResponse({ type: WebhookDeliveryListResponse })
  listDeliveries(
    @CurrentWorkspace() workspace: Workspace,
    @Param('id', new UuidParam('Webhook')) id: string,
    @Query() query: ListDeliveriesQuery,
  ): Promise<Page<WebhookDeliveryResponse>> {
    return this.webhooks.listDeliveries(workspace, id, query);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @auth(WRITE)
  @ApiOperation({
    summary: 'Send a delivery again, now',
    description:
      'Schedules one more attempt at once (a failed delivery gets one attempt; a delivered one is sent again).',
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryResponse })
  redeliver(
    @Principal() me: AuthPrincipal,
    @CurrentWorkspace() workspace: Workspace,
    @Param('id', new UuidParam('Webhook')) id: string,
    @Param('deliveryId', new UuidParam('Delivery')) deliveryId: string,
    @ReqMeta() meta: RequestMeta,
  ): Promise<WebhookDeliveryResponse> {
    return this.webhooks.redeliver(me, workspace, id, deliveryId, meta);
  }
}
