/**
 * `videocall-cli bots`: simulated participants for load tests: join a room,
 * publish synthetic frames at real rates and sizes, subscribe like browsers,
 * show live progress and a summary, and leave cleanly.
 */
import { parseArgs } from 'node:util';
import { BotFleet, type FleetTotals } from '../bots/bot-fleet.js';
import { progressLine, summaryTable } from '../bots/fleet-report.js';
import { CliError, reportError } from '../client/cli-error.js';
import { webSocketUrl } from '../client/relay-session.js';

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
  --publish N        how many of them publish camera and mic (default: all)
  --seconds S        leave after S seconds (default: until Ctrl-C)
  --json             print the summary as JSON instead of a table
  -h, --help         this text

A progress line (joined, frames/s sent and received, errors) updates every
second on a terminal, and is printed every 5 s otherwise. Ctrl-C or SIGTERM:
every bot leaves, then the summary is printed.

A relay limits connections and joins per address (MAX_CONNECTIONS_PER_ADDRESS,
default 100; JOINS_PER_ADDRESS_PER_MINUTE, default 60) and the room size
(MAX_ROOM_SIZE): raise them on a relay meant for load tests.

Exit codes: 0 every bot joined and left, 2 usage, 3 relay unreachable,
10 some bots could not join, 1 other.
`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        count: { type: 'string' },
        room: { type: 'string' },
        server: { type: 'string', default: 'http://127.0.0.1:8080' },
        publish: { type: 'string' },
        seconds: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new CliError('usage', `${(error as Error).message}. See videocall-cli bots --help.`);
  }
}

function wholeNumber(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new CliError('usage', `${flag} must be a whole number of at least ${min}.`);
  return n;
}

async function run(argv: string[]): Promise<number> {
  try {
    const args = parse(argv);
    if (args.help) {
      process.stdout.write(BOTS_HELP);
      return 0;
    }
    const count = wholeNumber(args.count, '--count', 1);
    if (count === undefined || !args.room)
      throw new CliError('usage', '--count and --room are required. See videocall-cli bots --help.');
    const publish = Math.min(count, wholeNumber(args.publish, '--publish', 0) ?? count);
    const seconds = args.seconds === undefined ? undefined : Number(args.seconds);
    if (seconds !== undefined && !(seconds > 0)) throw new CliError('usage', '--seconds must be a number above 0.');
    const fleet = new BotFleet({ url: webSocketUrl(args.server!), room: args.room, count, publish });
    return await runFleet(fleet, seconds, args.json!);
  } catch (error) {
    return reportError(error);
  }
}

async function runFleet(fleet: BotFleet, seconds: number | undefined, json: boolean): Promise<number> {
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
    if (failures.length === fleet.totals().count && failures.every((f) => f.error === 'ECONNREFUSED')) {
      throw new CliError('relay-unreachable', `Cannot reach the relay (${failures[0]!.error}).`);
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
  process.stderr.write(
    `error [bots-failed]: ${failed.length} of ${bots.length} bots could not join (${[...new Set(failed.map((f) => f.error))].join(', ')}).\n`,
  );
  return 10;
}

/** The `bots` command, as the CLI's command table takes it. */
export const botsCommand = {
  name: 'bots',
  summary: 'run simulated participants against a relay (load tests)',
  run,
};
