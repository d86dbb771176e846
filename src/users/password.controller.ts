import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { ChangePasswordRequest } from './dto/user.dto';
import { UsersService } from './users.service';

/** The user's own password (SPEC §12): the account password (HTTP Basic), never a token. */
@ApiTags('me')
@Controller('api/v1/me/password')
export class PasswordController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @HttpCode(204)
  @Auth({ scope: 'write', passwordOnly: true })
  @ApiOperation({
    summary: 'Change your password; every web session of the account ends',
  })
  @ApiNoContentResponse({ description: 'The new password is set' })
  async change(
    @Principal() me: AuthPrincipal,
    @Body() dto: ChangePasswordRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.users.changeOwnPassword(
      me,
      { currentPassword: dto.current_password, newPassword: dto.new_password },
      meta,
      null,
    );
  }
}
