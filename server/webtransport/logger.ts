/**
 * How the WebTransport stack logs: through a logger its user gives it (the
 * relay passes its own), so the stack depends on nothing outside its folder.
 * Without one it is silent.
 */

/** Structured fields added to a log line. */
export type LogFields = Record<string, unknown>;

/** What the stack needs of a logger; the relay's `Logger` is one. */
export interface WebTransportLogger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** True when `level` would be written: guards building costly fields. */
  enabled(level: 'debug' | 'info' | 'warn' | 'error'): boolean;
}

/** Makes the logger for one part of the stack: `quic`, `h3` or `webtransport`. */
export type LoggerFactory = (module: string) => WebTransportLogger;

const silent: WebTransportLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  enabled: () => false,
};

/** The factory used when none is given: every logger is silent. */
export const silentLoggers: LoggerFactory = () => silent;
