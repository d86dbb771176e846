import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { MeResponse } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('me')
@Controller('api/v1/me')
export class MeController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Auth({ scope: 'read' })
  @ApiOperation({ summary: 'The calling user and how this request authenticated' })
  @ApiOkResponse({ type: MeResponse })
  me(@Principal() me: AuthPrincipal): Promise<MeResponse> {
    return this.users.me(me);
  }
}
