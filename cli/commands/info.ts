/**
 * `videocall-cli info`: what this machine can stream from (cameras with their
 * formats, audio devices, ffmpeg) and, with `--server`, the relay's health and version.
 */
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { exitCodeTable, RelayUnreachableError, type CliError } from '../errors.js';
import { checkFfmpeg } from '../media/ffmpeg-encoder.js';
import { listAudioDevices, listCameras, type AudioDevice, type Camera } from '../media/devices.js';

const HELP = `Usage: videocall-cli info [--server URL] [--json]

Lists cameras (V4L2, with their formats), audio capture devices (ALSA, PulseAudio),
the ffmpeg found, and with --server the relay's health and version.

  --server URL     the relay to check, e.g. https://call.example.com
  --json           one JSON object on stdout
  -h, --help       this help

${exitCodeTable(['usage', 'relay-unreachable', 'internal'])}`;

const FLAGS = {
  server: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Bound on the relay's answer. */
const HEALTH_TIMEOUT_MS = 5000;

/** What `info --json` prints. */
export interface InfoReport {
  ffmpeg: { version: string } | { error: string; code: string };
  cameras: Camera[];
  audioDevices: AudioDevice[];
  relay?: { url: string; health: Record<string, unknown> } | { url: string; error: string; code: string };
}

export const info: Command = {
  name: 'info',
  summary: "list cameras, audio devices and ffmpeg; check a relay's health and version",
  async run(argv) {
    const flags = parseFlags(argv, FLAGS);
    if (flags.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const [ffmpeg, cameras, audioDevices, relay] = await Promise.all([
      checkFfmpeg().then(
        (version) => ({ version }),
        (error: CliError) => ({ error: error.message, code: error.code }),
      ),
      listCameras(),
      listAudioDevices(),
      flags.server ? relayHealth(flags.server) : undefined,
    ]);
    const report: InfoReport = { ffmpeg, cameras, audioDevices, ...(relay ? { relay } : {}) };
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));
    return relay && 'error' in relay ? new RelayUnreachableError(relay.url, '').exitCode : 0;
  },
};

async function relayHealth(server: string): Promise<NonNullable<InfoReport['relay']>> {
  let url: URL;
  try {
    url = new URL('healthz', server.endsWith('/') ? server : `${server}/`);
    if (url.protocol === 'ws:') url.protocol = 'http:';
    if (url.protocol === 'wss:') url.protocol = 'https:';
  } catch {
    return { url: server, error: `not a URL: ${server}`, code: 'relay-unreachable' };
  }
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return { url: server, health: (await response.json()) as Record<string, unknown> };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const why = cause ?? (error instanceof Error ? error.message : String(error));
    return { url: server, error: new RelayUnreachableError(server, `${why}.`).message, code: 'relay-unreachable' };
  }
}

function describe(report: InfoReport): string {
  const lines: string[] = [];
  lines.push('ffmpeg:', `  ${'version' in report.ffmpeg ? report.ffmpeg.version : report.ffmpeg.error}`);
  lines.push('Cameras:');
  if (report.cameras.length === 0) lines.push('  none (no /dev/video*)');
  for (const c of report.cameras) {
    lines.push(`  ${c.path}  ${c.name}${c.error ? `  (${c.error})` : ''}`);
    for (const f of c.formats) lines.push(`    ${f.format.padEnd(10)} ${f.type.padEnd(10)} ${f.sizes.join(' ')}`);
  }
  lines.push('Audio devices:');
  if (report.audioDevices.length === 0) lines.push('  none found (ALSA /proc/asound, PulseAudio pactl)');
  for (const a of report.audioDevices) lines.push(`  ${a.device.padEnd(28)} ${a.name}`);
  if (report.relay) {
    lines.push(`Relay ${report.relay.url}:`);
    if ('error' in report.relay) lines.push(`  unreachable: ${report.relay.error}`);
    else {
      const h = report.relay.health;
      lines.push(`  status ${String(h.status)}, version ${String(h.version)}, protocol ${String(h.protocol)}`);
      lines.push(
        `  ${String(h.rooms)} room(s), ${String(h.participants)} participant(s), up ${String(h.uptimeSeconds)} s, bus ${String(h.bus)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
