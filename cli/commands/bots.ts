/**
 * `videocall-cli bots`: simulated participants for load tests: join a room,
 * publish synthetic frames at real rates and sizes, subscribe like browsers,
 * show live progress and a summary, and leave cleanly.
 */
import { intFlag, numberFlag, parseFlags } from '../args.js';
import { BotFleet, type FleetTotals } from '../bots/bot-fleet.js';
import { progressLine, summaryTable } from '../bots/fleet-report.js';
import { transportLink } from '../bots/transport-link.js';
import { TRANSPORT_HELP, transportFlag } from '../client/node-transport.js';
import { relayEndpoint, TOKEN_CODES } from '../client/room-client.js';
import type { Command } from '../command.js';
import {
  BotsFailedError,
  exitCodeTable,
  RelayUnreachableError,
  TokenRefusedError,
  TransportUnsupportedError,
  UsageError,
} from '../errors.js';

export const BOTS_HELP = `Usage: videocall-cli bots --count N --room R [options]

Simulated participants that speak the real protocol: each publisher announces
three camera layers (720p30, 360p30, 180p15) and sends frames of the layers
someone watches at their real rates and sizes, plus 20 ms microphone packets
whose level follows a speaking schedule (publishers take turns); every bot
subscribes like a browser window of 9 tiles plus the active speaker. Frames are
synthetic (not decodable pictures): this drives relays, not eyes.

  --count N          how many bots (required)
  --room R           the room they join (required)
  --server URL       the relay (default http://127.0.0.1:8080)
  --token T          access token they all join with, for a relay that
                     requires one (mint one for the room with videocall-token)
  --publish N        how many of them publish camera and mic (default: all)
  --seconds S        leave after S seconds (default: until Ctrl-C)
  --transport T      ${TRANSPORT_HELP.replace('\n', '\n                     ')}
  --json             print the summary as JSON instead of a table
  -h, --help         this text

A progress line (joined, frames/s sent and received, errors) updates every
second on a terminal, and is printed every 5 s otherwise. Ctrl-C or SIGTERM:
every bot leaves, then the summary is printed.

A relay limits connections and joins per address (MAX_CONNECTIONS_PER_ADDRESS,
default 100; JOINS_PER_ADDRESS_PER_MINUTE, default 60) and the room size
(MAX_ROOM_SIZE): raise them on a relay meant for load tests.

${exitCodeTable(['usage', 'relay-unreachable', 'token-refused', 'transport-unsupported', 'bots-failed', 'internal'])}
`;

const FLAGS = {
  count: { type: 'string' },
  room: { type: 'string' },
  server: { type: 'string', default: 'http://127.0.0.1:8080' },
  token: { type: 'string' },
  publish: { type: 'string' },
  seconds: { type: 'string' },
  transport: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

async function run(argv: string[]): Promise<number> {
  const args = parseFlags(argv, FLAGS);
  if (args.help) {
    process.stdout.write(BOTS_HELP);
    return 0;
  }
  if (args.count === undefined || !args.room) throw new UsageError('--count and --room are required.');
  const count = intFlag('count', args.count, 1, 1, 100_000);
  const publish = Math.min(count, intFlag('publish', args.publish, count, 0, 100_000));
  const seconds = args.seconds === undefined ? undefined : numberFlag('seconds', args.seconds, 0, 0.1, 7 * 24 * 3600);
  const transport = transportFlag(args.transport);
  const fleet = new BotFleet({
    url: relayEndpoint(args.server),
    // WebSocket bots keep cli/sim's own lean client; WebTransport ones go through the client's transport.
    ...(transport === 'webtransport' ? { connect: transportLink(args.server, transport) } : {}),
    room: args.room,
    count,
    publish,
    ...(args.token ? { token: args.token } : {}),
  });
  return await runFleet(fleet, args.server, seconds, args.json);
}

async function runFleet(fleet: BotFleet, server: string, seconds: number | undefined, json: boolean): Promise<number> {
  // With --json, stdout holds only the summary: progress goes to stderr.
  const out = json ? process.stderr : process.stdout;
  const tty = out.isTTY === true;
  const started = performance.now();
  let before: FleetTotals = fleet.totals();
  let beforeAt = started;
  let ticks = 0;
  const progress = setInterval(() => {
    const now = performance.now();
    ticks++;
    if (!tty && ticks % 5 !== 0) return;
    const totals = fleet.totals();
    const line = progressLine(totals, before, now - beforeAt, now - started);
    before = totals;
    beforeAt = now;
    out.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  }, 1000);
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  process.on('SIGINT', finish);
  process.on('SIGTERM', finish);
  const timer = seconds !== undefined ? setTimeout(finish, seconds * 1000) : undefined;
  try {
    await Promise.race([fleet.start(), done]);
    const failures = fleet.joinFailures;
    if (failures.length === fleet.totals().count) {
      const first = failures[0]!.error;
      if (failures.every((f) => f.error === 'ECONNREFUSED' || f.error === 'relay-unreachable'))
        throw new RelayUnreachableError(server, `${first}.`);
      if (failures.every((f) => f.error === 'webtransport-unavailable'))
        throw new TransportUnsupportedError('webtransport', 'no bot could open a WebTransport session.');
      if (TOKEN_CODES.has(first) && failures.every((f) => f.error === first))
        throw new TokenRefusedError(first, 'no bot could join.');
    }
    await done;
  } finally {
    clearInterval(progress);
    clearTimeout(timer);
    process.off('SIGINT', finish);
    process.off('SIGTERM', finish);
    if (tty) out.write('\r\x1b[K');
    await fleet.stop();
  }
  const elapsed = (performance.now() - started) / 1000;
  const bots = fleet.summaries();
  if (json) process.stdout.write(JSON.stringify({ seconds: elapsed, totals: fleet.totals(), bots }, null, 2) + '\n');
  else process.stdout.write(summaryTable(bots, elapsed));
  const failed = fleet.joinFailures;
  if (failed.length === 0) return 0;
  throw new BotsFailedError(failed.length, bots.length, [...new Set(failed.map((f) => f.error))]);
}

/** The `bots` command, as the CLI's command table takes it. */
export const botsCommand: Command = {
  name: 'bots',
  summary: 'run simulated participants against a relay (load tests)',
  run,
};
