import { describe, expect, it } from 'vitest';
import { VideoPacer } from '../../src/playout/video-pacer.js';

/** A frame that knows whether it was closed, and when it was shown. */
class Frame {
  closed = false;
  shownAt: number | null = null;
  constructor(readonly captureTime: number) {}
  close(): void {
    this.closed = true;
  }
}

/** A pacer on a fake clock whose timers run when the test moves time on. */
function paced(options: { maxHoldMs?: number; maxQueue?: number } = {}) {
  let now = 1_000_000;
  let timers: { at: number; callback: () => void; id: number }[] = [];
  let nextId = 0;
  const shown: Frame[] = [];
  const pacer = new VideoPacer<Frame>({
    show: (frame) => {
      frame.shownAt = now;
      shown.push(frame);
    },
    now: () => now,
    schedule: (callback, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, callback, id });
      return id;
    },
    cancel: (id) => (timers = timers.filter((t) => t.id !== id)),
    ...options,
  });
  return {
    pacer,
    shown,
    get now() {
      return now;
    },
    /** Moves the clock on by `ms`, running the timers that fall due on the way, in order. */
    advance(ms: number) {
      const end = now + ms;
      for (let guard = 0; guard < 1000; guard++) {
        const next = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.callback();
      }
      now = end;
    },
  };
}

describe('VideoPacer', () => {
  it('shows each frame when the audio captured with it is played: capture time + audio delay', () => {
    const p = paced();
    // Audio takes 80 ms from their microphone to our speaker; video arrives 30 ms after capture.
    const frames: Frame[] = [];
    for (let i = 0; i < 10; i++) {
      const frame = new Frame(p.now - 30);
      frames.push(frame);
      p.pacer.push(frame, frame.captureTime, 80);
      p.advance(33);
    }
    p.advance(100);
    expect(p.shown).toEqual(frames);
    for (const frame of frames) expect(frame.shownAt! - frame.captureTime).toBeCloseTo(80, 6);
    expect(p.pacer.stats).toMatchObject({ shown: 10, shownAtOnce: 0, dropped: 0 });
    expect(p.pacer.stats.meanHoldMs).toBeCloseTo(50, 6);
  });

  it('never holds a frame when there is no audio to follow (muted or none yet): no stall', () => {
    const p = paced();
    for (let i = 0; i < 5; i++) {
      const frame = new Frame(p.now - 30);
      p.pacer.push(frame, frame.captureTime, null);
      expect(frame.shownAt).toBe(p.now);
      p.advance(33);
    }
    // Nor without a capture time (a sender that does not stamp one).
    const unstamped = new Frame(0);
    p.pacer.push(unstamped, undefined, 80);
    expect(unstamped.shownAt).toBe(p.now);
    expect(p.pacer.stats).toMatchObject({ shown: 6, shownAtOnce: 6 });
  });

  it('shows at once a frame that is already late for its audio (video slower than audio): no added delay', () => {
    const p = paced();
    const frame = new Frame(p.now - 120); // took 120 ms; audio takes 80
    p.pacer.push(frame, frame.captureTime, 80);
    expect(frame.shownAt).toBe(p.now);
    expect(p.pacer.waiting).toBe(0);
  });

  it('when the audio stops, shows the newest frame at once and drops the held ones', () => {
    const p = paced();
    const held = [new Frame(p.now), new Frame(p.now + 10)];
    for (const frame of held) p.pacer.push(frame, frame.captureTime, 100);
    expect(p.pacer.waiting).toBe(2);
    const fresh = new Frame(p.now);
    p.pacer.push(fresh, fresh.captureTime, null);
    expect(p.shown).toEqual([fresh]);
    expect(held.every((f) => f.closed && f.shownAt === null)).toBe(true);
    p.advance(500);
    expect(p.shown).toEqual([fresh]); // no timer left behind
  });

  it('holds no frame longer than maxHoldMs, whatever the audio delay says', () => {
    const p = paced({ maxHoldMs: 150 });
    const frame = new Frame(p.now);
    p.pacer.push(frame, frame.captureTime, 2000);
    p.advance(149);
    expect(frame.shownAt).toBeNull();
    p.advance(1);
    expect(frame.shownAt).toBe(frame.captureTime + 150);
  });

  it('keeps few frames waiting: the oldest are dropped (closed), never shown late', () => {
    const p = paced({ maxQueue: 2 });
    const frames = [0, 1, 2, 3].map((i) => new Frame(p.now + i * 33));
    for (const frame of frames) p.pacer.push(frame, frame.captureTime, 100);
    expect(p.pacer.waiting).toBe(2);
    expect(frames[0]!.closed && frames[1]!.closed).toBe(true);
    p.advance(200);
    expect(p.shown).toEqual([frames[2], frames[3]]);
    expect(p.pacer.stats.dropped).toBe(2);
  });

  it('after close, closes what waits and whatever comes', () => {
    const p = paced();
    const waiting = new Frame(p.now);
    p.pacer.push(waiting, waiting.captureTime, 100);
    p.pacer.close();
    const late = new Frame(p.now);
    p.pacer.push(late, late.captureTime, null);
    p.advance(500);
    expect(p.shown).toEqual([]);
    expect(waiting.closed && late.closed).toBe(true);
  });
});
