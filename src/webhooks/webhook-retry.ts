// Delays before the 2nd, 3rd… attempt, in units of WEBHOOK_RETRY_BASE_MS (default 1 minute):
// 1m, 5m, 15m, 30m, 1h, 2h, 4h, then doubling up to a day. Six attempts already span 51 min
// plus the 6th's wait, the default eight span about eight hours.
const MULTIPLIERS = [1, 5, 15, 30, 60, 120, 240];
const MAX_MULTIPLIER = 1440;

/**
 * How long to wait after the `failedAttempts`-th failed attempt (1-based), with ±20 % jitter
 * so that deliveries that failed together (a receiver that was down) do not retry together.
 */
export function retryDelayMs(
  failedAttempts: number,
  baseMs: number,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, failedAttempts);
  const last = MULTIPLIERS[MULTIPLIERS.length - 1];
  const multiplier =
    n <= MULTIPLIERS.length
      ? MULTIPLIERS[n - 1]
      : Math.min(MAX_MULTIPLIER, last * 2 ** (n - MULTIPLIERS.length));
  return Math.round(baseMs * multiplier * (0.8 + 0.4 * random()));
}
