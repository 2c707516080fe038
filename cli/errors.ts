/**
 * What can stop `videocall-cli`, each with a stable `code` a script can switch
 * on and its own process exit code, so `$?` says which without parsing stderr.
 * Messages say what to do. The exit codes are part of the CLI's interface:
 * never renumber one.
 */
import { CodedError } from '../src/shared/coded-error.js';

/** Stable codes of {@link CliError}. */
export type CliErrorCode =
  | 'usage'
  | 'relay-unreachable'
  | 'token-refused'
  | 'wrong-passphrase'
  | 'ffmpeg-missing'
  | 'device-format-unsupported'
  | 'file-unreadable'
  | 'transport-unsupported'
  | 'codec-unsupported'
  | 'join-refused'
  | 'connection-lost'
  | 'encoder-failed'
  | 'output-not-writable'
  | 'e2ee-required'
  | 'bots-failed'
  | 'internal';

/** Process exit code of each {@link CliErrorCode}; 0 is success, 130 an interrupt that could not leave cleanly. */
export const EXIT_CODES: Readonly<Record<CliErrorCode, number>> = {
  internal: 1,
  usage: 2,
  'relay-unreachable': 3,
  'token-refused': 4,
  'wrong-passphrase': 5,
  'ffmpeg-missing': 6,
  'device-format-unsupported': 7,
  'file-unreadable': 8,
  'transport-unsupported': 9,
  'codec-unsupported': 10,
  'join-refused': 11,
  'connection-lost': 12,
  'encoder-failed': 13,
  'output-not-writable': 14,
  'e2ee-required': 15,
  'bots-failed': 16,
};

/** What each exit code means, for `--help` and the README's table. */
export const EXIT_CODE_MEANINGS: Readonly<Record<CliErrorCode, string>> = {
  internal: 'something unexpected (a bug: the message has its stack)',
  usage: 'bad flags or arguments',
  'relay-unreachable': 'no relay answered at --server',
  'token-refused': 'the relay refused the access token',
  'wrong-passphrase': 'the call uses another passphrase (or none was given for one that needs it)',
  'ffmpeg-missing': 'ffmpeg is not installed',
  'device-format-unsupported': 'the camera or audio device cannot deliver the format asked',
  'file-unreadable': 'the media file is missing or holds no media',
  'transport-unsupported':
    '--transport webtransport cannot be used (the relay offers none, or its UDP port does not answer)',
  'codec-unsupported': 'someone in the room cannot decode --codec',
  'join-refused': 'the relay turned the join away (room full, bad name, removed…)',
  'connection-lost': 'the relay was lost and did not come back in time',
  'encoder-failed': 'ffmpeg failed (encoding a stream, or finishing a recorded file)',
  'output-not-writable': 'record: --out cannot be written',
  'e2ee-required': 'record: the call is end-to-end encrypted; give --passphrase or --e2ee',
  'bots-failed': 'bots: some bots could not join',
};

/**
 * The exit-code table as `--help` prints it: 0, then `codes` (default all) in
 * numeric order.
 */
export function exitCodeTable(codes: readonly CliErrorCode[] = Object.keys(EXIT_CODES) as CliErrorCode[]): string {
  const rows = [...codes]
    .sort((a, b) => EXIT_CODES[a] - EXIT_CODES[b])
    .map((code) => `  ${String(EXIT_CODES[code]).padStart(3)}  ${code.padEnd(26)} ${EXIT_CODE_MEANINGS[code]}`);
  return ['Exit codes:', `  ${'0'.padStart(3)}  ${'ok'.padEnd(26)} done`, ...rows].join('\n');
}

/** An error that ends a `videocall-cli` command with {@link exitCode}. */
export class CliError extends CodedError<CliErrorCode> {
  override readonly name: string = 'CliError';
  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** Bad flags or arguments: the message says which, and `--help` shows the rest. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('usage', message);
  }
}

/** No relay answered at the address given (refused, DNS, timed out). */
export class RelayUnreachableError extends CliError {
  override readonly name = 'RelayUnreachableError';
  constructor(server: string, detail: string, options?: { cause?: unknown }) {
    super(
      'relay-unreachable',
      `Cannot reach the relay at ${server}: ${detail} Check --server and that the relay runs.`,
      options,
    );
  }
}

/** The relay refused the access token (missing, invalid, expired, for another room). */
export class TokenRefusedError extends CliError {
  override readonly name = 'TokenRefusedError';
  constructor(
    readonly relayCode: string,
    detail: string,
  ) {
    super(
      'token-refused',
      `The relay refused the access token (${relayCode}): ${detail} Mint a new one with videocall-token and pass it with --token.`,
    );
  }
}

/** A peer's keys did not verify against our passphrase: they use another one (or the relay tampered). */
export class WrongPassphraseError extends CliError {
  override readonly name = 'WrongPassphraseError';
  constructor(peer: string) {
    super(
      'wrong-passphrase',
      `${peer} uses a different passphrase (or the relay tampered with the keys): nobody can see this stream. Check --passphrase.`,
    );
  }
}

/** Debian's ffmpeg (with libvpx, libx264, libopus) is needed to encode. */
export class FfmpegMissingError extends CliError {
  override readonly name = 'FfmpegMissingError';
  constructor(binary: string, detail?: string) {
    super(
      'ffmpeg-missing',
      `ffmpeg was not found (${binary}${detail ? `: ${detail}` : ''}). Install it: sudo apt-get install ffmpeg (or set FFMPEG to its path).`,
    );
  }
}

/** The camera or audio device does not offer what was asked for (format, size, rate), or cannot be opened. */
export class DeviceFormatError extends CliError {
  override readonly name = 'DeviceFormatError';
  constructor(device: string, detail: string) {
    super(
      'device-format-unsupported',
      `${device} cannot deliver what was asked: ${detail} See its formats with: videocall-cli info`,
    );
  }
}

/** A media file that does not exist, cannot be read, or holds no decodable video or audio. */
export class FileUnreadableError extends CliError {
  override readonly name = 'FileUnreadableError';
  constructor(file: string, detail: string) {
    super('file-unreadable', `Cannot read ${file}: ${detail}`);
  }
}

/**
 * `--transport webtransport` cannot be had: the relay offers no WebTransport, its
 * UDP port does not answer, the handshake fails, or this platform has no QUIC binding.
 */
export class TransportUnsupportedError extends CliError {
  override readonly name = 'TransportUnsupportedError';
  constructor(transport: string, detail = 'this Node has no client for it.', options?: { cause?: unknown }) {
    super(
      'transport-unsupported',
      `--transport ${transport} cannot be used: ${detail} Use --transport websocket.`,
      options,
    );
  }
}

/** `--codec` is one a participant of the room cannot decode. */
export class CodecUnsupportedError extends CliError {
  override readonly name = 'CodecUnsupportedError';
  constructor(codec: string, who: string[], decodable: string[]) {
    super(
      'codec-unsupported',
      `${who.join(', ')} cannot decode ${codec}.${decodable.length > 0 ? ` Everyone in the room decodes: ${decodable.join(', ')}; pass --codec ${decodable[0]}.` : ''}`,
    );
  }
}

/** The relay turned the join away for another reason (room full, invalid room or name, removed…). */
export class JoinRefusedError extends CliError {
  override readonly name = 'JoinRefusedError';
  constructor(
    readonly relayCode: string,
    message: string,
  ) {
    super('join-refused', `The relay refused the join (${relayCode}): ${message}`);
  }
}

/** The relay was lost and could not be got back within the reconnect window. */
export class ConnectionLostError extends CliError {
  override readonly name = 'ConnectionLostError';
  constructor(message: string) {
    super('connection-lost', message);
  }
}

/** ffmpeg ended with an error while encoding. */
export class EncoderFailedError extends CliError {
  override readonly name = 'EncoderFailedError';
  constructor(detail: string) {
    super('encoder-failed', `ffmpeg failed: ${detail}`);
  }
}

/** `record --out`: the directory cannot be made or written. */
export class OutputNotWritableError extends CliError {
  override readonly name = 'OutputNotWritableError';
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super('output-not-writable', `Cannot write recordings into ${path} (${detail}): choose another --out.`, options);
  }
}

/** `record` without `--passphrase`/`--e2ee` in a call that is end-to-end encrypted. */
export class E2eeRequiredError extends CliError {
  override readonly name = 'E2eeRequiredError';
  constructor(message: string) {
    super('e2ee-required', message);
  }
}

/** `bots`: some of the bots could not join. */
export class BotsFailedError extends CliError {
  override readonly name = 'BotsFailedError';
  constructor(failed: number, count: number, reasons: string[]) {
    super('bots-failed', `${failed} of ${count} bots could not join (${reasons.join(', ')}).`);
  }
}

/** Anything else, as a {@link CliError} (`internal`, exit 1). */
export function asCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CliError('internal', message, { cause: error });
}
