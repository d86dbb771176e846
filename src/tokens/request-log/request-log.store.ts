import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rawDate } from '../../database/columns';
import {
  LAST_IPS,
  LoggedRequest,
  RequestLogSink,
  SeenAddress,
  UsageCount,
} from './request-log.buffer';

/** A DATETIME as both databases take it: UTC 'YYYY-MM-DD HH:MM:SS.mmm' (what TypeORM writes). */
export function sqlTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}

export interface StoredRequest {
  at: Date;
  method: string;
  path: string;
  status: number;
  ip: string;
  userAgent: string | null;
  durationMs: number;
}

export interface DailyUsage {
  day: string;
  requests: number;
  errors: number;
}

export interface LastUsedIp {
  ip: string;
  lastUsedAt: Date;
}

interface RequestRow {
  at: Date | string;
  method: string;
  path: string;
  status: number | string;
  ip: string;
  user_agent: string | null;
  duration_ms: number | string;
}

/**
 * The SQL of the request log (tables token_requests, token_usage_daily, token_ips; migration
 * 1765000000400), hand-written because every statement is on a hot or large table: multi-row
 * inserts and upserts for the batched writer, index-ordered reads for the API and bounded
 * deletes for retention. Same statements on MySQL/MariaDB and SQLite except the upsert syntax.
 */
@Injectable()
export class RequestLogStore implements RequestLogSink {
  readonly mysql: boolean;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.mysql = dataSource.options.type === 'mysql';
  }

  get isOpen(): boolean {
    return this.dataSource.isInitialized;
  }

  async insertRequests(rows: LoggedRequest[]): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    const params: unknown[] = [];
    for (const r of rows) {
      params.push(r.tokenId, sqlTime(r.at), r.method, r.path, r.status, r.ip, r.userAgent);
      params.push(r.durationMs);
    }
    await this.dataSource.query(
      'INSERT INTO token_requests (token_id, at, method, path, status, ip, user_agent, duration_ms) VALUES ' +
        placeholders(rows.length, 8),
      params,
    );
  }

  async addUsage(rows: UsageCount[]): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    const params = rows.flatMap((r) => [r.tokenId, r.day, r.requests, r.errors]);
    await this.dataSource.query(
      'INSERT INTO token_usage_daily (token_id, day, requests, errors) VALUES ' +
        placeholders(rows.length, 4) +
        (this.mysql
          ? ' ON DUPLICATE KEY UPDATE requests = requests + VALUES(requests), errors = errors + VALUES(errors)'
          : ' ON CONFLICT (token_id, day) DO UPDATE SET requests = requests + excluded.requests, errors = errors + excluded.errors'),
      params,
    );
  }

  /**
   * Upserts the addresses (the later time wins). Only that: keeping the newest five of each
   * token is the retention job's (`pruneAddresses`), since ranking the addresses of every token
   * of a flush made the flush too slow to keep up with many tokens (readers take the newest
   * five anyway).
   */
  async touchAddresses(rows: SeenAddress[]): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    const params = rows.flatMap((r) => [r.tokenId, r.ip, sqlTime(r.at)]);
    await this.dataSource.query(
      'INSERT INTO token_ips (token_id, ip, last_used_at) VALUES ' +
        placeholders(rows.length, 3) +
        (this.mysql
          ? ' ON DUPLICATE KEY UPDATE last_used_at = GREATEST(last_used_at, VALUES(last_used_at))'
          : ' ON CONFLICT (token_id, ip) DO UPDATE SET last_used_at = MAX(last_used_at, excluded.last_used_at)'),
      params,
    );
  }

  /**
   * Keeps the newest five addresses of up to `tokens` tokens that have more; returns how many
   * rows it removed (0: none left over five).
   */
  async pruneAddresses(tokens: number): Promise<number> {
    const over = await this.dataSource.query<Array<{ token_id: string }>>(
      `SELECT token_id FROM token_ips GROUP BY token_id HAVING COUNT(*) > ${LAST_IPS} LIMIT ?`,
      [tokens],
    );
    if (over.length === 0) {
      return 0;
    }
    // The ranking is materialized (a window function is never merged into the DELETE), so
    // MySQL accepts the table in its own subquery.
    return this.deleted(
      `DELETE FROM token_ips WHERE (token_id, ip) IN (
         SELECT token_id, ip FROM (
           SELECT token_id, ip,
                  ROW_NUMBER() OVER (PARTITION BY token_id ORDER BY last_used_at DESC, ip DESC) AS rn
           FROM token_ips WHERE token_id IN (${over.map(() => '?').join(', ')})
         ) ranked WHERE rn > ${LAST_IPS})`,
      over.map((r) => r.token_id),
    );
  }

  /** One page of a token's log, newest first, and how many entries it has. */
  async page(
    tokenId: string,
    window: { offset: number; limit: number },
  ): Promise<[StoredRequest[], number]> {
    const count = 'SELECT COUNT(*) AS n FROM token_requests WHERE token_id = ?';
    // One statement, so the page and its count are read in the same snapshot: as two, a batch
    // written between them gave a total_count above the rows listed. A deferred join: the
    // page's ids come from the (token_id, at, id) index alone (it covers them), so a deep offset
    // skips index entries, not table rows; only the page's own rows are read from the table.
    const rows = await this.dataSource.query<(RequestRow & { n: number | string })[]>(
      'SELECT r.at, r.method, r.path, r.status, r.ip, r.user_agent, r.duration_ms, ' +
        `(${count}) AS n ` +
        'FROM token_requests r JOIN (SELECT id FROM token_requests WHERE token_id = ? ' +
        'ORDER BY at DESC, id DESC LIMIT ? OFFSET ?) p ON p.id = r.id ' +
        'ORDER BY r.at DESC, r.id DESC',
      [tokenId, tokenId, window.limit, window.offset],
    );
    // An empty page carries no count: none at offset 0, else counted on its own.
    const total =
      rows.length > 0
        ? Number(rows[0].n)
        : window.offset === 0
          ? 0
          : Number(
              (await this.dataSource.query<{ n: number | string }[]>(count, [tokenId]))[0]?.n ?? 0,
            );
    return [
      rows.map((r) => ({
        at: rawDate(r.at),
        method: r.method,
        path: r.path,
        status: Number(r.status),
        ip: r.ip,
        userAgent: r.user_agent,
        durationMs: Number(r.duration_ms),
      })),
      total,
    ];
  }

  /** The stored daily counts of a token from `firstDay` ('YYYY-MM-DD') on. */
  async usageSince(tokenId: string, firstDay: string): Promise<DailyUsage[]> {
    const rows = await this.dataSource.query<
      { day: string; requests: number | string; errors: number | string }[]
    >(
      'SELECT day, requests, errors FROM token_usage_daily WHERE token_id = ? AND day >= ? ORDER BY day',
      [tokenId, firstDay],
    );
    return rows.map((r) => ({
      day: r.day,
      requests: Number(r.requests),
      errors: Number(r.errors),
    }));
  }

  /** last_used_ips of these tokens, in one query: newest first, five each. */
  async lastUsedIps(tokenIds: readonly string[]): Promise<Map<string, LastUsedIp[]>> {
    const out = new Map<string, LastUsedIp[]>();
    if (tokenIds.length === 0) {
      return out;
    }
    const rows = await this.dataSource.query<
      { token_id: string; ip: string; last_used_at: Date | string }[]
    >(
      `SELECT token_id, ip, last_used_at FROM token_ips WHERE token_id IN (${tokenIds
        .map(() => '?')
        .join(', ')}) ORDER BY token_id, last_used_at DESC, ip DESC`,
      [...tokenIds],
    );
    for (const row of rows) {
      let list = out.get(row.token_id);
      if (!list) {
        list = [];
        out.set(row.token_id, list);
      }
      if (list.length < LAST_IPS) {
        list.push({ ip: row.ip, lastUsedAt: rawDate(row.last_used_at) });
      }
    }
    return out;
  }

  /** Deletes up to `limit` log entries older than `cutoff`; how many went. */
  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    const sql = this.mysql
      ? 'DELETE FROM token_requests WHERE at < ? LIMIT ?'
      : 'DELETE FROM token_requests WHERE id IN (SELECT id FROM token_requests WHERE at < ? LIMIT ?)';
    return this.deleted(sql, [sqlTime(cutoff.getTime()), limit]);
  }

  /**
   * Tokens that may hold more than `max` entries: more than `max` requests counted since
   * `firstDay` (older entries are gone by age), after `afterTokenId`, in token order.
   */
  async tokensOverCap(
    firstDay: string,
    max: number,
    afterTokenId: string,
    limit: number,
  ): Promise<string[]> {
    const rows = await this.dataSource.query<{ token_id: string }[]>(
      'SELECT token_id FROM token_usage_daily WHERE day >= ? AND token_id > ? ' +
        'GROUP BY token_id HAVING SUM(requests) > ? ORDER BY token_id LIMIT ?',
      [firstDay, afterTokenId, max, limit],
    );
    return rows.map((r) => r.token_id);
  }

  /** Deletes up to `limit` of a token's entries below its `keep` newest; how many went. */
  async trimToken(tokenId: string, keep: number, limit: number): Promise<number> {
    const edge = await this.dataSource.query<{ at: Date | string; id: number | string }[]>(
      'SELECT at, id FROM token_requests WHERE token_id = ? ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?',
      [tokenId, keep - 1],
    );
    if (edge.length === 0) {
      return 0;
    }
    const at = sqlTime(rawDate(edge[0].at).getTime());
    const id = edge[0].id;
    const where = 'token_id = ? AND (at < ? OR (at = ? AND id < ?))';
    const sql = this.mysql
      ? `DELETE FROM token_requests WHERE ${where} LIMIT ?`
      : `DELETE FROM token_requests WHERE id IN (SELECT id FROM token_requests WHERE ${where} LIMIT ?)`;
    return this.deleted(sql, [tokenId, at, at, id, limit]);
  }

  /** Deletes up to `limit` daily counts from before `firstDay`. */
  async deleteUsageBefore(firstDay: string, limit: number): Promise<number> {
    const sql = this.mysql
      ? 'DELETE FROM token_usage_daily WHERE day < ? LIMIT ?'
      : 'DELETE FROM token_usage_daily WHERE rowid IN (SELECT rowid FROM token_usage_daily WHERE day < ? LIMIT ?)';
    return this.deleted(sql, [firstDay, limit]);
  }

  /** Runs a DELETE and says how many rows it removed (the same on both drivers). */
  private async deleted(sql: string, params: unknown[]): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(sql, params, true);
      return Number(result.affected ?? 0);
    } finally {
      await runner.release();
    }
  }
}

function placeholders(rows: number, columns: number): string {
  const one = `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(one).join(', ');
}
