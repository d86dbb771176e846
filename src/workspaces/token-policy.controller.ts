import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { CurrentWorkspace, Principal } from '../auth/decorators/request-params.decorator';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { TokenPolicyResponse, UpdateTokenPolicyRequest } from './dto/token-policy.dto';
import { Workspace } from './entities/workspace.entity';
import { TokenPolicyService } from './token-policy.service';

// Workspace management works on every plan, the token policy included: it can be set before
// the workspace gets API access.
const IN_PATH = { workspace: { param: 'id' }, anyPlan: true } as const;

@ApiTags('workspaces')
@Controller('api/v1/workspaces/:id/token-policy')
export class TokenPolicyController {
  constructor(private readonly policies: TokenPolicyService) {}

  @Get()
  @Auth({ scope: 'read', ...IN_PATH })
  @ApiOperation({
    summary: 'The workspace’s token policy (any member)',
    description:
      'What every API token of the workspace must meet: maximum lifetime, allowed scopes, an address allow-list. ' +
      'OAuth access tokens and instance tokens are not subject to it.',
  })
  @ApiOkResponse({ type: TokenPolicyResponse })
  get(
    @Param('id', new UuidParam('Workspace')) _id: string,
    @CurrentWorkspace() workspace: Workspace,
  ): Promise<TokenPolicyResponse> {
    return this.policies.get(workspace);
  }

  @Patch()
  @Auth({ scope: 'write', permission: 'workspace.manage', ...IN_PATH })
  @ApiOperation({
    summary: 'Change the workspace’s token policy (owners and admins)',
    description:
      'Only the fields sent change. New and rotated tokens against the policy are refused with 400 policy_violation; ' +
      'existing tokens it no longer allows are refused with 403 policy_violation on their next request (they can still ' +
      'be revoked) and listed with policy_compliant: false. Audited as workspace.token_policy_updated.',
  })
  @ApiOkResponse({ type: TokenPolicyResponse })
  update(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Workspace')) _id: string,
    @CurrentWorkspace() workspace: Workspace,
    @Body() dto: UpdateTokenPolicyRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TokenPolicyResponse> {
    return this.policies.update(me, workspace, dto, meta);
  }
}
