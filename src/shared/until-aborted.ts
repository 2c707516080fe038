/**
 * `promise`, or a rejection as soon as `signal` aborts: its message says `why()`
 * (by default the signal's reason). The promise itself is not cancelled; its
 * later outcome is ignored.
 */
export function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  why: () => string = () => String(signal.reason),
): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error(why()));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error(why()));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
