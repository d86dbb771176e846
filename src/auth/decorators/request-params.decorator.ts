import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AuthPrincipal } from '../auth-types';
import { ApiError } from '../../common/errors/api-error';
import { contextOf, TesseraRequest } from '../request-context';
import { Membership } from '../../workspaces/entities/membership.entity';
import { Workspace } from '../../workspaces/entities/workspace.entity';
import { ProjectArea } from '../../projects/project-area';
import { projectReach } from '../token-restriction-policy';

function requestOf(ctx: ExecutionContext): TesseraRequest {
  return ctx.switchToHttp().getRequest<TesseraRequest>();
}

function missing(what: string): ApiError {
  // A route read context its @Auth() metadata did not ask the guards to resolve.
  return new ApiError(500, 'internal_error', `Route misconfigured: no ${what} in context.`);
}

export const Principal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthPrincipal => {
    const principal = contextOf(requestOf(ctx)).principal;
    if (!principal) {
      throw missing('principal');
    }
    return principal;
  },
);

export const CurrentWorkspace = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Workspace => {
    const workspace = contextOf(requestOf(ctx)).workspace;
    if (!workspace) {
      throw missing('workspace');
    }
    return workspace;
  },
);

/** The workspace when one was named; undefined for instance tokens on routes that allow them. */
export const OptionalWorkspace = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Workspace | undefined => contextOf(requestOf(ctx)).workspace,
);

export const CurrentMembership = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Membership => {
    const membership = contextOf(requestOf(ctx)).membership;
    if (!membership) {
      throw missing('membership');
    }
    return membership;
  },
);

/** The workspace and the projects the request reaches in it (project-restricted tokens). */
export const CurrentArea = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): ProjectArea => {
    const { workspace, principal } = contextOf(requestOf(ctx));
    if (!workspace || !principal) {
      throw missing('workspace');
    }
    return { workspace, projectIds: projectReach(principal) };
  },
);
