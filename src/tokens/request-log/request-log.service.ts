import { Injectable } from '@nestjs/common';
import { Page, PaginationQuery, pageWindow } from '../../common/http/pagination';
import { LastUsedIpResponse, TokenRequestResponse, TokenUsageDay } from './request-log.dto';
import { RequestLogStore } from './request-log.store';

const DAY_MS = 86_400_000;

/** Reads of the request log for the API and the pages (who may see a token is checked before). */
@Injectable()
export class RequestLogService {
  constructor(private readonly store: RequestLogStore) {}

  /** A token's log, newest first. */
  async requests(tokenId: string, query: PaginationQuery): Promise<Page<TokenRequestResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await this.store.page(tokenId, window);
    return {
      data: rows.map((r) => ({
        at: r.at.toISOString(),
        method: r.method,
        path: r.path,
        status: r.status,
        ip: r.ip,
        user_agent: r.userAgent,
        duration_ms: r.durationMs,
      })),
      total_count: total,
      offset: window.offset,
      limit: window.limit,
    };
  }

  /** Requests and errors per UTC day for the last `days` days (today included), oldest first. */
  async usage(tokenId: string, days: number, now = new Date()): Promise<TokenUsageDay[]> {
    const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
    const dates: string[] = [];
    for (let i = days - 1; i >= 0; i--) {
      dates.push(new Date(today - i * DAY_MS).toISOString().slice(0, 10));
    }
    const stored = new Map(
      (await this.store.usageSince(tokenId, dates[0])).map((row) => [row.day, row]),
    );
    return dates.map((date) => ({
      date,
      requests: stored.get(date)?.requests ?? 0,
      errors: stored.get(date)?.errors ?? 0,
    }));
  }

  /** Fills in `last_used_ips` of these token objects, with one query. */
  async withLastUsedIps<T extends { id: string; last_used_ips: LastUsedIpResponse[] }>(
    tokens: T[],
  ): Promise<T[]> {
    const ips = await this.store.lastUsedIps(tokens.map((t) => t.id));
    for (const token of tokens) {
      token.last_used_ips = (ips.get(token.id) ?? []).map((a) => ({
        ip: a.ip,
        last_used_at: a.lastUsedAt.toISOString(),
      }));
    }
    return tokens;
  }
}
