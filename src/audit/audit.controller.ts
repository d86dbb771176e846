import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator';
import { CurrentWorkspace } from '../auth/decorators/request-params.decorator';
import { Page } from '../common/http/pagination';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { AuditService } from './audit.service';
import {
  AdminListAuditEventsQuery,
  AuditEventListResponse,
  AuditEventResponse,
  ListAuditEventsQuery,
} from './dto/audit-event.dto';

@ApiTags('audit')
@Controller('api/v1')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('audit-events')
  @Auth({ scope: 'read', permission: 'api.manage', workspace: 'header' })
  @ApiOperation({ summary: 'The workspace’s audit log (owners and admins)' })
  @ApiOkResponse({ type: AuditEventListResponse })
  list(
    @CurrentWorkspace() ws: Workspace,
    @Query() query: ListAuditEventsQuery,
  ): Promise<Page<AuditEventResponse>> {
    return this.audit.list(query, ws.id);
  }

  @Get('admin/audit-events')
  @Auth({ scope: 'admin', instanceAdmin: true })
  @ApiOperation({ summary: 'The whole audit log (instance admins)' })
  @ApiOkResponse({ type: AuditEventListResponse })
  adminList(@Query() query: AdminListAuditEventsQuery): Promise<Page<AuditEventResponse>> {
    return this.audit.list(query);
  }
}
