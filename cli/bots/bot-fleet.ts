/**
 * A fleet of simulated participants (cli/sim) in one room: they join a few at
 * a time, publish 3 camera layers (only those someone watches) and a
 * microphone that follows a speaking schedule, subscribe like a page of 9
 * tiles plus the active speaker, and leave cleanly. Totals for a progress
 * line, per-bot figures for the summary.
 */
import { SimParticipant, type PageView, type SimConnect } from '../sim/index.js';

/** How many bots connect at the same time: a burst of hundreds of joins is not what the test is about. */
const JOIN_CONCURRENCY = 8;
/** Each publisher speaks for this long, in turn. */
const SPEAKING_TURN_MS = 3000;

/** What a browser window of the element shows: 9 small tiles and the speaker large. */
export const BROWSER_VIEW: PageView = {
  tiles: 9,
  page: 0,
  tileSize: { width: 320, height: 180 },
  speakerSize: { width: 1280, height: 720 },
};

export interface BotFleetOptions {
  /** The relay's WebSocket endpoint. */
  url: string;
  /** Opens each bot's link instead of a WebSocket to {@link url} (e.g. WebTransport). */
  connect?: SimConnect;
  room: string;
  count: number;
  /** How many of them publish camera and microphone (the first ones). */
  publish: number;
  namePrefix?: string;
  /** Access token every bot joins with (a relay that requires one; a `*` room token serves all). */
  token?: string;
}

/** One bot's figures. */
export interface BotSummary {
  name: string;
  id: string;
  publishing: boolean;
  joined: boolean;
  framesOut: number;
  bytesOut: number;
  framesIn: number;
  bytesIn: number;
  keyframeRequests: number;
  errors: string[];
}

/** The fleet's totals now. */
export interface FleetTotals {
  joined: number;
  count: number;
  framesOut: number;
  /** Of `framesOut`: microphone packets (sent at 50/s whatever anyone watches) and camera frames. */
  audioOut: number;
  videoOut: number;
  framesIn: number;
  bytesOut: number;
  bytesIn: number;
  errors: number;
}

interface Bot {
  sim: SimParticipant;
  name: string;
  publishing: boolean;
  joined: boolean;
  joinError?: string;
}

export class BotFleet {
  private readonly bots: Bot[];
  private stopping = false;

  constructor(options: BotFleetOptions) {
    const prefix = options.namePrefix ?? 'bot';
    const turns = Math.max(1, options.publish);
    this.bots = Array.from({ length: options.count }, (_, i) => {
      const publishing = i < options.publish;
      const name = `${prefix}-${String(i + 1).padStart(String(options.count).length, '0')}`;
      const sim = new SimParticipant({
        url: options.url,
        room: options.room,
        name,
        camera: publishing,
        mic: publishing,
        // Publishers take turns speaking, so the active speaker (and the large tile) moves.
        speaking: (ms) => Math.floor(ms / SPEAKING_TURN_MS) % turns === i,
        view: BROWSER_VIEW,
        ...(options.connect ? { connect: options.connect } : {}),
        ...(options.token ? { token: options.token } : {}),
      });
      return { sim, name, publishing, joined: false };
    });
  }

  /**
   * Joins every bot (a few at a time) and starts each as it joins. Resolves
   * when all tried; a bot that could not join is counted, not thrown.
   */
  async start(): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.bots.length && !this.stopping) {
        const bot = this.bots[next++]!;
        try {
          await bot.sim.join();
          if (this.stopping) return void (await bot.sim.leave());
          bot.joined = true;
          bot.sim.start();
        } catch (error) {
          // Stopped while it was joining: that is no failure of the relay's.
          if (!this.stopping) bot.joinError = joinErrorText(error);
          bot.sim.close();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, this.bots.length) }, worker));
  }

  /** Bots that could not join, with why. */
  get joinFailures(): { name: string; error: string }[] {
    return this.bots.filter((b) => b.joinError).map((b) => ({ name: b.name, error: b.joinError! }));
  }

  totals(): FleetTotals {
    const t: FleetTotals = {
      joined: 0,
      count: this.bots.length,
      framesOut: 0,
      audioOut: 0,
      videoOut: 0,
      framesIn: 0,
      bytesOut: 0,
      bytesIn: 0,
      errors: 0,
    };
    for (const b of this.bots) {
      const s = b.sim.stats;
      if (b.joined) t.joined++;
      t.framesOut += s.framesOut;
      const video = s.videoOutByLayer.reduce((n, v) => n + (v ?? 0), 0);
      t.videoOut += video;
      t.audioOut += s.framesOut - video;
      t.framesIn += s.framesIn;
      t.bytesOut += s.bytesOut;
      t.bytesIn += s.bytesIn;
      t.errors += s.errors.length + (b.joinError ? 1 : 0);
    }
    return t;
  }

  summaries(): BotSummary[] {
    return this.bots.map((b) => ({
      name: b.name,
      id: b.sim.id,
      publishing: b.publishing,
      joined: b.joined,
      framesOut: b.sim.stats.framesOut,
      bytesOut: b.sim.stats.bytesOut,
      framesIn: b.sim.stats.framesIn,
      bytesIn: b.sim.stats.bytesIn,
      keyframeRequests: b.sim.stats.keyframeRequests,
      errors: [...(b.joinError ? [b.joinError] : []), ...b.sim.stats.errors],
    }));
  }

  /** Every bot leaves (the room sees "left") and its connection closes. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.bots.map((b) => b.sim.leave()));
  }
}

function joinErrorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { code?: string };
  if (e && typeof e === 'object' && 'code' in e && e.code) return String(e.code);
  return error instanceof Error ? error.message : String(error);
}
