import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';

/** A token's request quota (SPEC §11.1): so many requests per UTC calendar day or month. */
export const QUOTA_PERIODS = ['day', 'month'] as const;
export type QuotaPeriod = (typeof QUOTA_PERIODS)[number];

export interface TokenQuota {
  limit: number;
  period: QuotaPeriod;
}

/** One period of a quota: its name among the periods and when it ends. */
export interface QuotaWindow {
  /** `day:2026-12-04` or `month:2026-12`: the counter's name for this period. */
  key: string;
  /** When the period ends (the next one starts), in ms since the epoch. */
  endsAt: number;
}

/** The UTC period that `now` falls in. */
export function quotaWindow(period: QuotaPeriod, now: number): QuotaWindow {
  const at = new Date(now);
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  const mm = String(month + 1).padStart(2, '0');
  if (period === 'month') {
    return { key: `month:${year}-${mm}`, endsAt: Date.UTC(year, month + 1, 1) };
  }
  const day = at.getUTCDate();
  return {
    key: `day:${year}-${mm}-${String(day).padStart(2, '0')}`,
    endsAt: Date.UTC(year, month, day + 1),
  };
}

/** Whole seconds from `now` until the period ends (at least 1). */
export function secondsUntil(window: QuotaWindow, now: number): number {
  return Math.max(1, Math.ceil((window.endsAt - now) / 1000));
}

/** The quota headers of every response to a token that has one (SPEC §11.1). */
export function quotaHeaders(quota: TokenQuota, used: number, resetSeconds: number) {
  return {
    'X-Quota-Limit': String(quota.limit),
    'X-Quota-Remaining': String(Math.max(0, quota.limit - used)),
    'X-Quota-Reset': String(resetSeconds),
  };
}

/** 429 `quota_exceeded`, with `Retry-After` until the period ends. */
export function quotaExceeded(quota: TokenQuota, resetSeconds: number): ApiError {
  return new ApiError(
    HttpStatus.TOO_MANY_REQUESTS,
    'quota_exceeded',
    `This token's quota of ${quota.limit} requests per ${quota.period} (UTC) is used up. Retry after ${resetSeconds} seconds, when the next ${quota.period} begins.`,
    undefined,
    { 'Retry-After': String(resetSeconds), ...quotaHeaders(quota, quota.limit, resetSeconds) },
  );
}

/** Reads a stored quota (two columns); null unless both are set and sensible. */
export function storedQuota(limit: unknown, period: unknown): TokenQuota | null {
  const n = limit === null || limit === undefined ? NaN : Number(limit);
  if (!Number.isSafeInteger(n) || n < 1 || !QUOTA_PERIODS.includes(period as QuotaPeriod)) {
    return null;
  }
  return { limit: n, period: period as QuotaPeriod };
}
