/**
 * `videocall-cli record`: writes each participant's audio and video in a room
 * to WebM files, decrypting an end-to-end encrypted call with its passphrase.
 */
import { decodeJwt } from 'jose';
import { numberFlag, parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { EncoderFailedError, exitCodeTable, UsageError } from '../errors.js';
import { checkFfmpeg } from '../media/ffmpeg-encoder.js';
import { prepareOutputDir } from '../record/output-dir.js';
import { RoomRecorder } from '../record/room-recorder.js';
import { TRANSPORT_HELP, transportFlag } from '../client/node-transport.js';

export const RECORD_HELP = `Usage: videocall-cli record --server URL --room R --out DIR [options]

Joins a room as a participant that publishes nothing and writes each
participant's audio and video to its own WebM file in DIR (VP8/VP9/AV1 video,
Opus audio, copied as sent: nothing is re-encoded), plus recording.json listing
the files with when each began. A participant who joins later gets new files;
one who leaves has its files finished at once. Ctrl-C (SIGINT), SIGTERM, the
room emptying or --seconds end the recording; every file is then finished
(seekable, with its duration) before the command exits. A room emptied by
anything but a goodbye (a crash, a relay restart) ends it only if nobody is
back within 15 s; the recorder reconnects by itself like any participant.

  --server URL       the relay, e.g. http://127.0.0.1:8080 (or its ws:// endpoint)
  --room R           the room to record
  --out DIR          where the files go (made if missing)
  --passphrase P     the call's room passphrase (end-to-end encryption)
  --e2ee             the call is end-to-end encrypted without a passphrase
  --token T          access token; with the "hidden" grant nobody sees the
                     recorder (not with E2EE: a hidden recorder cannot take part
                     in the key exchange, so it could not decrypt)
  --name N           the name others see (default "Recorder")
  --transport T      ${TRANSPORT_HELP.replace('\n', '\n                     ')}
  --seconds S        stop after S seconds
  --json             print the manifest as JSON at the end
  -h, --help         this text

Needs ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg).

A failure exits with its code (0 when every file finished cleanly):
${exitCodeTable([
  'usage',
  'relay-unreachable',
  'token-refused',
  'wrong-passphrase',
  'ffmpeg-missing',
  'transport-unsupported',
  'join-refused',
  'connection-lost',
  'output-not-writable',
  'encoder-failed',
  'e2ee-required',
  'internal',
])}
`;

const FLAGS = {
  server: { type: 'string' },
  room: { type: 'string' },
  out: { type: 'string' },
  passphrase: { type: 'string' },
  e2ee: { type: 'boolean', default: false },
  token: { type: 'string' },
  name: { type: 'string', default: 'Recorder' },
  transport: { type: 'string' },
  seconds: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

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
  const args = parseFlags(argv, FLAGS);
  if (args.help) {
    process.stdout.write(RECORD_HELP);
    return 0;
  }
  for (const required of ['server', 'room', 'out'] as const) {
    if (!args[required]) throw new UsageError(`--${required} is required.`);
  }
  const seconds = args.seconds === undefined ? undefined : numberFlag('seconds', args.seconds, 0, 0.1, 7 * 24 * 3600);
  const e2ee = args.e2ee || !!args.passphrase;
  const transport = transportFlag(args.transport);
  const hidden = !!args.token && tokenIsHidden(args.token);
  if (e2ee && hidden) {
    throw new UsageError(
      'A hidden recorder cannot decrypt: nobody can address it, so nobody can give it their keys. ' +
        'Record an end-to-end encrypted call with a token without the "hidden" grant.',
    );
  }
  await checkFfmpeg();
  const out = await prepareOutputDir(args.out!);
  const log = (line: string): void => void process.stderr.write(`videocall-cli record: ${line}\n`);
  const recorder = new RoomRecorder({
    server: args.server!,
    room: args.room!,
    out,
    name: args.name,
    e2ee,
    hidden,
    transport,
    log,
    ...(args.token ? { token: args.token } : {}),
    ...(args.passphrase ? { passphrase: args.passphrase } : {}),
    ...(seconds !== undefined ? { seconds } : {}),
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
    const broken = manifest.files.find((f) => f.error);
    if (broken) throw new EncoderFailedError(broken.error!);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The `record` command, as the CLI's command table takes it. */
export const recordCommand: Command = {
  name: 'record',
  summary: "write each participant's audio and video in a room to WebM files",
  run,
};
