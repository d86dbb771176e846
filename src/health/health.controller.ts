import { Controller, Get, Logger, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../auth/decorators/auth.decorator';
import { ApiError } from '../common/errors/api-error';

// A probe must answer before the orchestrator's own probe timeout (often 1-5 s), even when the
// database host does not answer at all.
const DATABASE_PING_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
  ) {}

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'The process is up (no dependencies checked)' })
  @ApiOkResponse({
    description: 'Up',
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Ready to serve: the database answers' })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) {
        throw error;
      }
      // Probes repeat every few seconds during an outage: one line each, not a stack trace.
      const result = error.getResponse() as Partial<HealthCheckResult>;
      this.logger.warn(`Not ready: ${JSON.stringify(result.error ?? {})}`);
      throw new ApiError(
        503,
        'service_unavailable',
        'Not ready: the database does not answer; retry shortly, and check the server log.',
      );
    }
  }
}
