import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { InstanceSettings } from './entities/instance-settings.entity';
import { SettingsResponse, toSettingsResponse, UpdateSettingsRequest } from './dto/settings.dto';
import { SettingsService } from './settings.service';

// Reachable with an admin's password even while the REST API is switched off.
const SETTINGS_ROUTE = { scope: 'admin', instanceAdmin: true, apiSwitch: true } as const;

@ApiTags('admin')
@Controller('api/v1/admin/settings')
export class AdminSettingsController {
  constructor(
    private readonly settings: SettingsService,
    private readonly audit: AuditService,
  ) {}

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
    const changes: Partial<InstanceSettings> = {};
    if (dto.rest_api_enabled !== undefined) {
      changes.restApiEnabled = dto.rest_api_enabled;
    }
    if (dto.allow_query_key !== undefined) {
      changes.allowQueryKey = dto.allow_query_key;
    }
    if (dto.allow_basic_password !== undefined) {
      changes.allowBasicPassword = dto.allow_basic_password;
    }
    if (dto.legacy_auth_enabled !== undefined) {
      changes.legacyAuthEnabled = dto.legacy_auth_enabled;
    }
    if (dto.legacy_auth_sunset_at !== undefined) {
      changes.legacyAuthSunsetAt =
        dto.legacy_auth_sunset_at === null ? null : new Date(dto.legacy_auth_sunset_at);
    }
    if (dto.max_token_lifetime_days !== undefined) {
      changes.maxTokenLifetimeDays = dto.max_token_lifetime_days;
    }
    const updated = await this.settings.update(changes);
    await this.audit.record({
      action: 'settings.updated',
      actor: me,
      targetType: 'settings',
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: Object.fromEntries(
        Object.entries(dto).filter(([, v]) => v !== undefined) as Array<
          [string, string | number | boolean | null]
        >,
      ),
    });
    return toSettingsResponse(updated);
  }
}
