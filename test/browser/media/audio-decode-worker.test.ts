/// <reference types="mocha" />
import { expect } from '@open-wc/testing';
import type { EncodedMedia } from '../../../src/codec/encoded-media.js';
import { MediaWorker } from '../../../src/call/media-worker-client.js';
import type { AudioDecodeOffload } from '../../../src/playout/audio-decode-offload.js';
import { AudioPlayout, type PlayoutStream } from '../../../src/playout/audio-playout.js';
import { opusPackets, sleep, waitFor } from './helpers.js';
import { afterEach, before, describe, it } from './mocha.js';

/** Feeds `packets` to `stream.decode` at real pace (20 ms each, by the clock); returns the stream's levels after `settleMs`. */
async function decodeAtPace(stream: PlayoutStream, packets: EncodedMedia[], settleMs = 600): Promise<number[]> {
  const start = performance.now();
  const levels: number[] = [];
  let next = 0;
  while (next < packets.length) {
    const due = (performance.now() - start) / 20 + 1;
    for (; next < due && next < packets.length; next++) stream.decode(packets[next]!);
    if (performance.now() - start > settleMs) levels.push(stream.level);
    await sleep(10);
  }
  return levels;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Keeps the page's main thread busy for `ms`; returns when it started and ended (wall clock ms). */
function blockMainThread(ms: number): { from: number; to: number } {
  const from = performance.timeOrigin + performance.now();
  while (performance.timeOrigin + performance.now() < from + ms) {
    // busy: no task, no callback, no message runs on this thread meanwhile
  }
  return { from, to: performance.timeOrigin + performance.now() };
}

describe('audio decoded in the media worker, handed straight to the audio thread', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  let tone: EncodedMedia[];
  before(async () => {
    tone = await opusPackets(75, 0.5); // 1.5 s (and one more packet: the encoder's lookahead)
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  /** The decoding half of a media worker started now (as a joining room starts it); undefined where none starts. */
  function decodeWorker(): AudioDecodeOffload | undefined {
    const worker = MediaWorker.start(false);
    if (!worker) return undefined;
    cleanups.push(() => worker.retire());
    return worker.decoder;
  }

  async function playing(inWorker = true): Promise<PlayoutStream> {
    const decoder = inWorker ? decodeWorker() : undefined;
    const playout = new AudioPlayout({ reportIntervalMs: 50, ...(decoder ? { decodeWorker: decoder } : {}) });
    cleanups.push(() => playout.close());
    await playout.ready;
    await waitFor(() => playout.state === 'running', 2000);
    return playout.createStream('ada');
  }

  it('plays received Opus at its level, says which packets it handed over, and counts them', async () => {
    const stream = await playing();
    const decoded: number[] = [];
    stream.ondecoded = (timestamp) => decoded.push(timestamp);
    const levels = await decodeAtPace(stream, tone);
    // A sine of amplitude 0.5 has an RMS of 0.354; Opus keeps it within a few per cent.
    expect(median(levels)).to.be.within(0.3, 0.4);
    expect(await waitFor(() => decoded.length === tone.length, 2000)).to.equal(true);
    expect(decoded).to.deep.equal(tone.map((p) => p.timestamp));
    expect(stream.decodeStats).to.include({ packetsIn: tone.length, packetsDecoded: tone.length, packetsLost: 0 });
    // The worklet reports its counters every 50 ms, so its count of the last packets can trail the worker's.
    await waitFor(() => stream.stats?.packetsPushed === tone.length, 2000);
    expect(stream.stats!.packetsPushed).to.equal(tone.length);
  });

  it('hands audio to the worklet while the main thread is blocked; decoded on the page it waits', async () => {
    for (const inWorker of [true, false]) {
      const stream = await playing(inWorker);
      const at: number[] = [];
      stream.ondecoded = (_timestamp, when) => at.push(when);
      // Warm up: the decoder and the worklet's port are there before the measured packets.
      stream.decode(tone[0]!);
      expect(await waitFor(() => at.length === 1, 2000)).to.equal(true);
      for (const packet of tone.slice(1, 11)) stream.decode(packet);
      const blocked = blockMainThread(300);
      expect(await waitFor(() => at.length === 11, 2000)).to.equal(true);
      const during = at.slice(1).filter((t) => t < blocked.to).length;
      if (inWorker) expect(during, 'handed over during the block').to.equal(10);
      else expect(during, 'on the page nothing is decoded during the block').to.equal(0);
    }
  });

  it('keeps playing through the worker after the output steps up to a larger buffer', async () => {
    const playout = new AudioPlayout({ reportIntervalMs: 50, lowLatency: true, decodeWorker: decodeWorker()! });
    cleanups.push(() => playout.close());
    await playout.ready;
    const stream = playout.createStream('ada');
    const first = await decodeAtPace(stream, tone.slice(0, 40));
    await playout.stepUp();
    const after = await decodeAtPace(stream, tone.slice(40), 400);
    expect(median(first), 'before').to.be.within(0.3, 0.4);
    expect(median(after), 'after stepping up').to.be.within(0.3, 0.4);
    expect(await waitFor(() => stream.decodeStats!.packetsDecoded === tone.length, 2000)).to.equal(true);
  });

  it('drops what arrives while the output is suspended, and plays again once it resumes', async () => {
    const playout = new AudioPlayout({ reportIntervalMs: 50, decodeWorker: decodeWorker()! });
    cleanups.push(() => playout.close());
    await playout.ready;
    await waitFor(() => playout.state === 'running', 2000);
    const stream = playout.createStream('ada');
    await decodeAtPace(stream, tone.slice(0, 20));
    expect(await waitFor(() => stream.stats?.packetsPushed === 20, 2000)).to.equal(true);
    await playout.context.suspend();
    await sleep(100);
    await decodeAtPace(stream, tone.slice(20, 40));
    expect(await waitFor(() => stream.decodeStats!.packetsDecoded === 40, 2000)).to.equal(true);
    await playout.resume();
    // The worker hears of it from the context's statechange event, which follows the resume.
    await sleep(100);
    await decodeAtPace(stream, tone.slice(40, 60));
    expect(await waitFor(() => stream.stats?.packetsPushed === 40, 2000)).to.equal(true);
    await sleep(200);
    expect(stream.stats!.packetsPushed, 'none of the suspended ones').to.equal(40);
  });

  describe('where no worker can run', () => {
    const RealWorker = window.Worker;
    afterEach(() => {
      window.Worker = RealWorker;
    });

    it('decodes on the page when starting a worker throws (a CSP without blob: workers, in Chromium)', async () => {
      window.Worker = class {
        constructor() {
          throw new DOMException('Refused to create a worker', 'SecurityError');
        }
      } as unknown as typeof Worker;
      const stream = await playing();
      const levels = await decodeAtPace(stream, tone);
      expect(median(levels)).to.be.within(0.3, 0.4);
      expect(await waitFor(() => stream.decodeStats!.packetsDecoded === tone.length, 2000)).to.equal(true);
    });

    it('moves to the page when the worker fails after it started (as Firefox reports a blocked one)', async () => {
      // A real worker whose script fails: its `error` event comes after the stream already sent it packets.
      window.Worker = class extends RealWorker {
        constructor(_url: string | URL, options?: WorkerOptions) {
          super(URL.createObjectURL(new Blob(['throw new Error("blocked")'], { type: 'text/javascript' })), options);
        }
      };
      const stream = await playing();
      const levels = await decodeAtPace(stream, tone);
      expect(median(levels)).to.be.within(0.3, 0.4);
      expect(stream.decodeStats!.packetsDecoded).to.be.greaterThan(tone.length - 10);
    });
  });
});
