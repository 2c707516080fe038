/**
 * This page's clock in milliseconds since the Unix epoch, finer than
 * `Date.now()` and steady within the page (it never steps back). Capture,
 * arrival and display times are all on it, so their differences are delays.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
