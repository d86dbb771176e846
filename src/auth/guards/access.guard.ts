import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { AuthPrincipal, scopesAllow } from '../auth-types';
import { tokenInUseRefusal, workspaceRefusal } from '../../workspaces/workspace-policy';
import { RouteAuth } from '../decorators/auth.decorator';
import { ApiError, forbidden, notFound, validationFailed } from '../../common/errors/api-error';
import { insufficientScope } from '../auth-errors';
import { contextOf, headerValue, TesseraRequest } from '../request-context';
import { isUuid } from '../../common/http/uuid-param.pipe';
import { WorkspaceAccessService } from '../../workspaces/workspace-access.service';
import { routeAccess } from './authentication.guard';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Last global guard (after authentication and the rate limit): may this principal do this
 * here? Applies the route's declared scope, the instance-admin and password-only rules, then
 * finds the workspace (token binding, membership) and asks the workspace policy
 * (src/workspaces/workspace-policy.ts) about token policy, plan, role and billing (SPEC §5, §6,
 * §11.3). On routes outside a workspace, a workspace-bound API token still answers to its own
 * workspace's token policy.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly workspaces: WorkspaceAccessService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = routeAccess(context);
    if (!access || access.public || !access.auth) {
      return true;
    }
    const rule = access.auth;
    const request = context.switchToHttp().getRequest<TesseraRequest>();
    const ctx = contextOf(request);
    const principal = ctx.principal;
    if (!principal) {
      throw new ApiError(500, 'internal_error', 'Authentication did not run.');
    }

    if (!scopesAllow(principal.scopes, rule.scope)) {
      throw insufficientScope(rule.scope);
    }
    if (rule.instanceAdmin && !principal.user.isAdmin) {
      throw forbidden('Only instance administrators can do this.');
    }
    if (rule.passwordOnly && (principal.method !== 'basic_password' || principal.impersonatedBy)) {
      throw forbidden('This needs your password (HTTP Basic username:password), not a token.');
    }
    if (rule.workspace) {
      await this.resolveWorkspace(request, rule, principal);
    } else {
      await this.checkOwnTokenPolicy(rule, principal);
    }
    return true;
  }

  /**
   * Routes outside a workspace (/me, /workspaces, admin routes): an API token bound to a
   * workspace is refused there too once that workspace's token policy no longer allows it.
   * The cached membership lookup brings the workspace and its policy without a query.
   */
  private async checkOwnTokenPolicy(rule: RouteAuth, principal: AuthPrincipal): Promise<void> {
    if (rule.anyTokenPolicy || principal.tokenId === null || !principal.tokenWorkspaceId) {
      return;
    }
    const found = await this.workspaces.membershipOf(principal.tokenWorkspaceId, principal.user.id);
    const refusal = found && tokenInUseRefusal(found.workspace, principal);
    if (refusal) {
      throw refusal;
    }
  }

  private async resolveWorkspace(
    request: TesseraRequest,
    rule: RouteAuth,
    principal: AuthPrincipal,
  ): Promise<void> {
    const fromHeader = rule.workspace === 'header';
    // Ids are stored lowercase; accept any case, as UuidParam does for path ids.
    const workspaceId = (
      fromHeader
        ? headerValue(request, 'x-workspace-id')?.trim()
        : (request.params as Record<string, string | undefined>)[
            (rule.workspace as { param: string }).param
          ]
    )?.toLowerCase();

    if (!workspaceId) {
      if (rule.allowInstanceToken && isInstanceLevel(principal)) {
        return; // instance-level call (SPEC §5: instance tokens need no workspace)
      }
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'workspace_required',
        'This route acts in a workspace: send its id in the X-Workspace-Id header.',
      );
    }
    if (!isUuid(workspaceId)) {
      if (!fromHeader) {
        throw notFound('Workspace');
      }
      throw validationFailed([
        { field: 'X-Workspace-Id', message: 'X-Workspace-Id must be a workspace id (a UUID).' },
      ]);
    }
    if (principal.tokenWorkspaceId && principal.tokenWorkspaceId !== workspaceId) {
      throw new ApiError(
        HttpStatus.FORBIDDEN,
        'workspace_mismatch',
        'This token belongs to another workspace; use a token created in this workspace.',
      );
    }
    const found = await this.workspaces.membershipOf(workspaceId, principal.user.id);
    if (!found) {
      if (!fromHeader) {
        throw notFound('Workspace');
      }
      throw new ApiError(
        HttpStatus.FORBIDDEN,
        'workspace_forbidden',
        'You are not a member of this workspace.',
      );
    }
    const { workspace, membership } = found;
    const refusal = workspaceRefusal(workspace, membership, principal, {
      scope: rule.scope,
      permission: rule.permission,
      write: !READ_METHODS.has(request.method),
      anyPlan: rule.anyPlan,
      anyBilling: rule.anyBilling,
      anyTokenPolicy: rule.anyTokenPolicy,
    });
    if (refusal) {
      throw refusal;
    }
    const ctx = contextOf(request);
    ctx.workspace = workspace;
    ctx.membership = membership;
  }
}

/** Instance admins calling with an instance token or a password act at instance level. */
function isInstanceLevel(principal: AuthPrincipal): boolean {
  return principal.user.isAdmin && principal.tokenWorkspaceId === null;
}
