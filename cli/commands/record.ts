/**
 * `videocall-cli record`: writes each participant's audio and video in a room
 * to WebM files, decrypting an end-to-end encrypted call with its passphrase.
 */
import { parseArgs } from 'node:util';
import { decodeJwt } from 'jose';
import { MediaCrypto } from '../../src/call/media-crypto.js';
import { CliError, reportError } from '../client/cli-error.js';
import { checkFfmpeg } from '../record/ffmpeg-remux.js';
import { prepareOutputDir } from '../record/output-dir.js';
import { RoomRecorder } from '../record/room-recorder.js';

export const RECORD_HELP = `Usage: videocall-cli record --server URL --room R --out DIR [options]

Joins a room as a participant that publishes nothing and writes each
participant's audio and video to its own WebM file in DIR (VP8/VP9/AV1 video,
Opus audio, copied as sent: nothing is re-encoded), plus recording.json listing
the files with when each began. A participant who joins later gets new files;
one who leaves has its files finished at once. Ctrl-C (SIGINT), SIGTERM, the
room emptying or --seconds end the recording; every file is then finished
(seekable, with its duration) before the command exits.

  --server URL       the relay, e.g. http://127.0.0.1:8080 (or its ws:// endpoint)
  --room R           the room to record
  --out DIR          where the files go (made if missing)
  --passphrase P     the call's room passphrase (end-to-end encryption)
  --e2ee             the call is end-to-end encrypted without a passphrase
  --token T          access token; with the "hidden" grant nobody sees the
                     recorder (not with E2EE: a hidden recorder cannot take part
                     in the key exchange, so it could not decrypt)
  --name N           the name others see (default "Recorder")
  --seconds S        stop after S seconds
  --json             print the manifest as JSON at the end
  -h, --help         this text

Needs ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg).

Exit codes: 0 done, 2 usage, 3 relay unreachable, 4 token refused,
5 wrong passphrase, 6 output directory not writable, 7 ffmpeg missing,
8 the relay closed the session, 9 the call is encrypted (use --e2ee), 1 other.
`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        server: { type: 'string' },
        room: { type: 'string' },
        out: { type: 'string' },
        passphrase: { type: 'string' },
        e2ee: { type: 'boolean', default: false },
        token: { type: 'string' },
        name: { type: 'string', default: 'Recorder' },
        seconds: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new CliError('usage', `${(error as Error).message}. See videocall-cli record --help.`);
  }
}

/** True when `token` carries the `hidden` grant (read, not verified: the relay verifies). */
function tokenIsHidden(token: string): boolean {
  try {
    const grants = decodeJwt(token)['grants'] as { hidden?: unknown } | undefined;
    return grants?.hidden === true;
  } catch {
    return false; // not a JWT: the relay will say so
  }
}

async function run(argv: string[]): Promise<number> {
  try {
    const args = parse(argv);
    if (args.help) {
      process.stdout.write(RECORD_HELP);
      return 0;
    }
    for (const required of ['server', 'room', 'out'] as const) {
      if (!args[required]) throw new CliError('usage', `--${required} is required. See videocall-cli record --help.`);
    }
    const seconds = args.seconds === undefined ? undefined : Number(args.seconds);
    if (seconds !== undefined && !(seconds > 0)) throw new CliError('usage', '--seconds must be a number above 0.');
    const e2ee = args.e2ee || !!args.passphrase;
    const hidden = !!args.token && tokenIsHidden(args.token);
    if (e2ee && hidden) {
      throw new CliError(
        'usage',
        'A hidden recorder cannot decrypt: nobody can address it, so nobody can give it their keys. ' +
          'Record an end-to-end encrypted call with a token without the "hidden" grant.',
      );
    }
    checkFfmpeg();
    const out = await prepareOutputDir(args.out!);
    // Stretching the passphrase takes a moment: done before joining, so no frame waits for it.
    const roomSecret = e2ee ? await MediaCrypto.prepareSecret(args.passphrase, args.room!) : null;
    const recorder = new RoomRecorder({
      server: args.server!,
      room: args.room!,
      out,
      token: args.token,
      name: args.name!,
      hidden,
      e2ee,
      roomSecret,
      seconds,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const onSignal = (): void => recorder.stop('stopped');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const manifest = await recorder.run();
      if (args.json) process.stdout.write(JSON.stringify(manifest, null, 2) + '\n');
      else {
        for (const f of manifest.files)
          process.stdout.write(
            `${f.file}  ${f.track} ${f.codec} ${(f.durationMs / 1000).toFixed(1)} s ${f.frames} frames\n`,
          );
        process.stdout.write(`${manifest.files.length} files (${manifest.reason})\n`);
      }
      return manifest.files.some((f) => f.error) ? 1 : 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } catch (error) {
    return reportError(error);
  }
}

/** The `record` command, as the CLI's command table takes it. */
export const recordCommand = {
  name: 'record',
  summary: 'record every participant of a room to WebM files',
  run,
};
