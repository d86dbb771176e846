import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { contextOf, TesseraRequest } from '../auth/request-context';
import { Membership } from './entities/membership.entity';

/** The caller's membership when the route resolved a workspace; otherwise undefined. */
export const CurrentMembershipOptional = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Membership | undefined =>
    contextOf(ctx.switchToHttp().getRequest<TesseraRequest>()).membership,
);
