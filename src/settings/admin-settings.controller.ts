import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import {
  SettingsResponse,
  toSettingsChanges,
  toSettingsResponse,
  UpdateSettingsRequest,
} from './dto/settings.dto';
import { SettingsService } from './settings.service';

// Reachable with an admin's password even while the REST API is switched off.
const SETTINGS_ROUTE = { scope: 'admin', instanceAdmin: true, apiSwitch: true } as const;

@ApiTags('admin')
@Controller('api/v1/admin/settings')
export class AdminSettingsController {
  constructor(private readonly settings: SettingsService) {}

  @Get()
  @Auth(SETTINGS_ROUTE)
  @ApiOperation({ summary: 'Instance settings' })
  @ApiOkResponse({ type: SettingsResponse })
  async get(): Promise<SettingsResponse> {
    return toSettingsResponse(await this.settings.get());
  }

  @Patch()
  @Auth(SETTINGS_ROUTE)
  @ApiOperation({
    summary: 'Change instance settings',
    description:
      'With rest_api_enabled off, only this route answers, and only to an admin’s password (HTTP Basic).',
  })
  @ApiOkResponse({ type: SettingsResponse })
  async update(
    @Principal() me: AuthPrincipal,
    @Body() dto: UpdateSettingsRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<SettingsResponse> {
    return toSettingsResponse(await this.settings.change(me, toSettingsChanges(dto), meta));
  }
}
