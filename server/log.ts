/**
 * One small structured logger for the relay: JSON lines on stdout, one object
 * per event (`time`, `level`, `module`, `msg`, then the caller's fields).
 *
 * The level comes from `LOG_LEVEL` (`debug`, `info`, `warn`, `error`, `silent`);
 * under vitest it defaults to `silent` so tests stay quiet unless asked.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Structured fields added to a log line. `Error` values are expanded. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** True when `level` would be written: guards building costly fields. */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(RANK, value);
}

function defaultLevel(): LogLevel {
  const env = process.env.LOG_LEVEL?.toLowerCase();
  if (env && isLogLevel(env)) return env;
  return process.env.VITEST ? 'silent' : 'info';
}

let threshold = RANK[defaultLevel()];
let sink: (line: string) => void = (line) => {
  process.stdout.write(line + '\n');
};

/** Sets the level for every logger (they share one threshold). */
export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level];
}

/** Replaces where lines go (stdout by default); returns the previous sink. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

function serialize(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.stack) out.stack = value.stack;
    return out;
  }
  return value;
}

function write(level: Exclude<LogLevel, 'silent'>, module: string, msg: string, fields?: LogFields): void {
  if (RANK[level] < threshold) return;
  const entry: Record<string, unknown> = { time: new Date().toISOString(), level, module, msg };
  if (fields) for (const [key, value] of Object.entries(fields)) entry[key] = serialize(value);
  let line: string;
  try {
    line = JSON.stringify(entry);
  } catch {
    // A field that cannot be serialized (a cycle, a BigInt) must not lose the event.
    line = JSON.stringify({ time: entry.time, level, module, msg, unserializable: true });
  }
  sink(line);
}

/** A logger whose lines carry `module`. One per module, created at import. */
export function createLogger(module: string): Logger {
  return {
    debug: (msg, fields) => write('debug', module, msg, fields),
    info: (msg, fields) => write('info', module, msg, fields),
    warn: (msg, fields) => write('warn', module, msg, fields),
    error: (msg, fields) => write('error', module, msg, fields),
    enabled: (level) => RANK[level] >= threshold,
  };
}
