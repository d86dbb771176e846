import { Injectable } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { AuthPrincipal } from '../auth/auth-types';
import { RequestLogService } from '../tokens/request-log/request-log.service';
import { ApiToken } from '../tokens/entities/api-token.entity';
import { Fact } from './account-views';
import { requestRows, usageChart, UsageViews } from './token-usage-view';
import { sendHtml } from './web-context';
import { formatTime } from './web-forms';
import { pageContext } from './web-pages';

/**
 * The usage page of one token (SPEC §11.2): its requests and errors per day over 30 days as a
 * chart, and its latest 25 requests. One page for a user's own tokens and for the service
 * account tokens a manager looks after; each controller decides first who may see the token.
 */
@Injectable()
export class TokenUsagePage {
  constructor(private readonly requestLog: RequestLogService) {}

  async send(
    me: AuthPrincipal,
    reply: FastifyReply,
    shown: { token: ApiToken; heading: string; facts: Fact[]; back: string },
  ): Promise<void> {
    const { token } = shown;
    const [days, recent] = await Promise.all([
      this.requestLog.usage(token.id, 30),
      this.requestLog.requests(token.id, { limit: 25 }),
    ]);
    const chart = usageChart(token.name, days);
    sendHtml(
      reply,
      200,
      UsageViews.usage(pageContext(me, reply, 'Token usage', 'tokens'), {
        heading: shown.heading,
        facts: shown.facts,
        chart,
        totals: chart.description,
        requests: requestRows(recent.data),
        totalLogged: recent.total_count,
        back: shown.back,
      }),
    );
  }
}

/** The facts above a token's usage: prefix, where it works, scopes, expiry, last use. */
export function tokenFacts(token: ApiToken, workspaceName: string, extra: Fact[] = []): Fact[] {
  return [
    { label: 'Token', value: `${token.tokenPrefix}…` },
    ...extra,
    { label: 'Workspace', value: workspaceName },
    { label: 'Scopes', value: token.scopes.join(', ') },
    { label: 'Expires', value: formatTime(token.expiresAt) },
    {
      label: 'Last used',
      value: token.lastUsedAt
        ? `${formatTime(token.lastUsedAt)}${token.lastUsedIp ? ` from ${token.lastUsedIp}` : ''}`
        : 'Never',
    },
  ];
}
