const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * `date.toISOString()`, the same text, in a quarter of the time for the years a database holds
 * (V8 formats it with snprintf: about 0.4 µs a date, and a page of twenty issues has forty).
 * Years outside 1000–9999 and invalid dates are left to `toISOString` itself (which writes
 * ±YYYYYY years and throws RangeError).
 */
export function isoTime(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) {
    return date.toISOString();
  }
  const ms = date.getUTCMilliseconds();
  return (
    `${year}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}` +
    `T${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}` +
    `.${ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : ms}Z`
  );
}
