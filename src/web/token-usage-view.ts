import { TokenRequestResponse, TokenUsageDay } from '../tokens/request-log/request-log.dto';
import { Fact } from './account-views';
import { pageTemplate } from './templates/template-loader';
import { page, PageContext } from './views';
import { formatTime } from './web-forms';

// /account/tokens/:id/usage (SPEC §11.2): a server-rendered SVG bar chart of a token's requests
// and errors per UTC day, and its latest requests. The chart's geometry is computed here; the
// template (templates/token-usage.hbs) only places numbers and escaped text: no script, no
// inline style, no chart library.

const WIDTH = 720;
const HEIGHT = 260;
const LEFT = 48;
const RIGHT = 8;
const TOP = 14;
const BOTTOM = 34;
const GRIDLINES = 4;

export interface ChartBar {
  date: string;
  label: string;
  x: number;
  width: number;
  requestsY: number;
  requestsHeight: number;
  errorsY: number;
  errorsHeight: number;
  requests: number;
  errors: number;
}

export interface UsageChart {
  width: number;
  height: number;
  title: string;
  description: string;
  plot: { left: number; right: number; top: number; bottom: number };
  gridlines: Array<{ y: number; labelX: number; labelY: number; label: string }>;
  xLabels: Array<{ x: number; y: number; text: string }>;
  bars: ChartBar[];
}

export interface RequestRow {
  at: string;
  atIso: string;
  method: string;
  path: string;
  status: number;
  failed: boolean;
  ip: string;
  userAgent: string;
  duration: string;
}

export interface UsagePage {
  heading: string;
  facts: Fact[];
  chart: UsageChart;
  totals: string;
  requests: RequestRow[];
  totalLogged: number;
  back: string;
}

/** A round upper bound for the y axis: 1, 2, 5 × 10ⁿ, at least 4 (one per gridline). */
function niceMax(value: number): number {
  if (value <= GRIDLINES) {
    return GRIDLINES;
  }
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    const candidate = step * magnitude;
    if (candidate >= value && Number.isInteger(candidate / GRIDLINES)) {
      return candidate;
    }
  }
  return Math.ceil(value / GRIDLINES) * GRIDLINES;
}

const round = (n: number): number => Math.round(n * 10) / 10;
const plural = (n: number, one: string, many: string): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function usageChart(name: string, days: TokenUsageDay[]): UsageChart {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const max = niceMax(Math.max(0, ...days.map((d) => d.requests)));
  const slot = plotWidth / Math.max(1, days.length);
  const barWidth = round(Math.max(2, slot * 0.72));
  const y = (value: number): number => round(TOP + plotHeight - (value / max) * plotHeight);
  const bars = days.map((d, i) => {
    const x = round(LEFT + i * slot + (slot - barWidth) / 2);
    return {
      date: d.date,
      label: `${d.date}: ${plural(d.requests, 'request', 'requests')}, ${plural(d.errors, 'error', 'errors')}`,
      x,
      width: barWidth,
      requestsY: y(d.requests),
      requestsHeight: round(TOP + plotHeight - y(d.requests)),
      errorsY: y(d.errors),
      errorsHeight: round(TOP + plotHeight - y(d.errors)),
      requests: d.requests,
      errors: d.errors,
    };
  });
  const gridlines = Array.from({ length: GRIDLINES + 1 }, (_, i) => {
    const value = (max / GRIDLINES) * i;
    return {
      y: y(value),
      labelX: LEFT - 6,
      labelY: y(value) + 4,
      label: value.toLocaleString('en-US'),
    };
  });
  // A date under every fifth bar and the last one (today), as "Dec 4".
  const xLabels = days
    .map((d, i) => ({ d, i }))
    .filter(({ i }) => (days.length - 1 - i) % 5 === 0)
    .map(({ d, i }) => ({
      x: round(LEFT + i * slot + slot / 2),
      y: HEIGHT - BOTTOM + 18,
      text: new Date(`${d.date}T00:00:00Z`).toLocaleDateString('en-US', {
        month: 'short',
        day: 'numeric',
        timeZone: 'UTC',
      }),
    }));
  const requests = days.reduce((n, d) => n + d.requests, 0);
  const errors = days.reduce((n, d) => n + d.errors, 0);
  const busiest = days.reduce<TokenUsageDay | null>(
    (best, d) => (d.requests > (best?.requests ?? 0) ? d : best),
    null,
  );
  const first = days[0]?.date ?? '';
  const last = days[days.length - 1]?.date ?? '';
  return {
    width: WIDTH,
    height: HEIGHT,
    title: `Requests and errors per day of the token “${name}”, ${first} to ${last} (UTC)`,
    description:
      `${plural(requests, 'request', 'requests')} and ${plural(errors, 'error', 'errors')} in ${days.length} days` +
      (busiest
        ? `; the busiest day was ${busiest.date} with ${plural(busiest.requests, 'request', 'requests')}.`
        : '.'),
    plot: { left: LEFT, right: WIDTH - RIGHT, top: TOP, bottom: TOP + plotHeight },
    gridlines,
    xLabels,
    bars,
  };
}

export function requestRows(rows: TokenRequestResponse[]): RequestRow[] {
  return rows.map((r) => ({
    at: formatTime(r.at).replace(' UTC', `:${r.at.slice(17, 19)} UTC`),
    atIso: r.at,
    method: r.method,
    path: r.path,
    status: r.status,
    failed: r.status >= 400,
    ip: r.ip,
    userAgent: r.user_agent ?? '—',
    duration: `${r.duration_ms} ms`,
  }));
}

const USAGE = pageTemplate('token-usage');

export const UsageViews = {
  usage: (ctx: PageContext, data: UsagePage): string => page(ctx, USAGE(data)),
};
