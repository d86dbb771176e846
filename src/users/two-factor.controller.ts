import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { ApiErrorResponse } from '../common/errors/api-error.dto';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import {
  RecoveryCodesResponse,
  TwoFactorCodeRequest,
  TwoFactorSetupResponse,
} from './dto/user.dto';
import { TwoFactorService } from './two-factor.service';

// Managing 2FA needs the account password (never a token); a 2FA user's password is accepted
// here because each change also needs a current TOTP code.
const MANAGE = { passwordOnly: true, twoFactorManagement: true } as const;

@ApiTags('me')
@Controller('api/v1/me/two-factor')
export class TwoFactorController {
  constructor(private readonly twoFactor: TwoFactorService) {}

  @Post()
  @Auth({ scope: 'write', ...MANAGE })
  @ApiOperation({ summary: 'Start 2FA enrolment: returns a TOTP secret and otpauth:// URI' })
  @ApiCreatedResponse({ type: TwoFactorSetupResponse })
  start(@Principal() me: AuthPrincipal): Promise<TwoFactorSetupResponse> {
    return this.twoFactor.start(me);
  }

  @Post('confirm')
  @HttpCode(200)
  @Auth({ scope: 'write', ...MANAGE })
  @ApiOperation({
    summary: 'Turn 2FA on with a current code from the app; returns 10 recovery codes, shown once',
  })
  @ApiOkResponse({ type: RecoveryCodesResponse, description: '2FA is on' })
  @ApiConflictResponse({
    description: 'conflict (already on, or not started)',
    type: ApiErrorResponse,
  })
  confirm(
    @Principal() me: AuthPrincipal,
    @Body() dto: TwoFactorCodeRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<RecoveryCodesResponse> {
    return this.twoFactor.confirm(me, dto.code, meta);
  }

  @Post('recovery-codes')
  @Auth({ scope: 'write', ...MANAGE })
  @ApiOperation({
    summary:
      'Replace the recovery codes (needs a current app code or an unused recovery code); ' +
      'returns 10 new ones, shown once',
  })
  @ApiCreatedResponse({ type: RecoveryCodesResponse })
  @ApiConflictResponse({ description: 'conflict (2FA is not on)', type: ApiErrorResponse })
  regenerateRecoveryCodes(
    @Principal() me: AuthPrincipal,
    @Body() dto: TwoFactorCodeRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<RecoveryCodesResponse> {
    return this.twoFactor.regenerateRecoveryCodes(me, dto.code, meta);
  }

  @Delete()
  @HttpCode(204)
  @Auth({ scope: 'delete', ...MANAGE })
  @ApiOperation({ summary: 'Turn 2FA off (needs a current app code or an unused recovery code)' })
  @ApiNoContentResponse({ description: '2FA is off' })
  async disable(
    @Principal() me: AuthPrincipal,
    @Body() dto: TwoFactorCodeRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.twoFactor.disable(me, dto.code, meta);
  }
}
