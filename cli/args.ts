/**
 * Flag parsing shared by the commands: `node:util` parseArgs, strict, with its
 * errors turned into a {@link UsageError}, and number flags checked.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` against `options` (each command declares its own `help` flag);
 * unknown flags and stray arguments are usage errors.
 */
export function parseFlags<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // Node's message ends with advice about `--` that does not apply here.
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify.*$/s, '.') : String(error));
  }
}

/** A whole number flag within [min, max]; `fallback` when absent. */
export function intFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  }
  return n;
}

/** A number flag within [min, max] (fractions allowed); `fallback` when absent. */
export function numberFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  }
  return n;
}

/** `WIDTHxHEIGHT`, both even (the encoders take 4:2:0 pictures), within 16..3840 × 16..2160. */
export function sizeFlag(
  value: string | undefined,
  fallback: { width: number; height: number },
): {
  width: number;
  height: number;
} {
  if (value === undefined) return fallback;
  const match = /^(\d{2,4})x(\d{2,4})$/.exec(value);
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || width < 16 || height < 16 || width > 3840 || height > 2160 || width % 2 || height % 2) {
    throw new UsageError(
      `--size must be WIDTHxHEIGHT with even numbers up to 3840x2160, e.g. 1280x720; got ${JSON.stringify(value)}.`,
    );
  }
  return { width, height };
}

/** A bitrate such as `800k`, `1.5M` or `600000`, in bits per second. */
export function bitrateFlag(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(value);
  const scale = match?.[2]?.toLowerCase() === 'm' ? 1e6 : match?.[2]?.toLowerCase() === 'k' ? 1e3 : 1;
  const bps = match ? Math.round(Number(match[1]) * scale) : NaN;
  if (!(bps >= 50_000 && bps <= 20_000_000)) {
    throw new UsageError(
      `--bitrate must be from 50k to 20M bits per second, e.g. 1200k; got ${JSON.stringify(value)}.`,
    );
  }
  return bps;
}
