import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Page, PaginationQuery, pageWindow, toPage } from '../common/http/pagination';
import { Auth } from './decorators/auth.decorator';
import { LegacyAuthUsageService } from './legacy-auth-usage.service';

export class LegacyAuthUsageResponse {
  @ApiProperty({ format: 'uuid' }) user_id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ type: 'integer' }) use_count!: number;
  @ApiProperty({ format: 'date-time' }) first_used_at!: string;
  @ApiProperty({ format: 'date-time' }) last_used_at!: string;
  @ApiProperty({ nullable: true, type: String }) last_ip!: string | null;
  @ApiProperty({ nullable: true, type: String }) last_user_agent!: string | null;
}

export class LegacyAuthUsageListResponse {
  @ApiProperty({ type: [LegacyAuthUsageResponse] }) data!: LegacyAuthUsageResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

@ApiTags('admin')
@Controller('api/v1/admin/legacy-auth-usage')
export class LegacyAuthUsageController {
  constructor(private readonly usage: LegacyAuthUsageService) {}

  @Get()
  @Auth({ scope: 'admin', instanceAdmin: true })
  @ApiOperation({
    summary: 'Who still uses X-AUTH-* API passwords',
    description: 'Per user: how often, when last, from which IP and user agent. Most recent first.',
  })
  @ApiOkResponse({ type: LegacyAuthUsageListResponse })
  async list(@Query() query: PaginationQuery): Promise<Page<LegacyAuthUsageResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await this.usage.report(window);
    return toPage(rows, total, window, (r) => ({
      user_id: r.userId,
      username: r.username,
      use_count: r.useCount,
      first_used_at: r.firstUsedAt.toISOString(),
      last_used_at: r.lastUsedAt.toISOString(),
      last_ip: r.lastIp,
      last_user_agent: r.lastUserAgent,
    }));
  }
}
