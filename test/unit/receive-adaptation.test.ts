import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReceiveAdaptation, type ReceiveStep } from '../../src/call/receive-adaptation.js';
import { ReceiveLoad, type ReceiveQuality } from '../../src/call/receive-load.js';
import { Subscriptions, type LayerWanted } from '../../src/call/subscriptions.js';

/** One second of decoding: frames lost to load, and the share of the second the decoders were busy. */
interface Second {
  lost: number;
  usage: number;
}

/** Runs `adaptation` a second at a time: `fps` frames in, and in second t what `load(t)` says. */
function drive(
  adaptation: ReceiveAdaptation,
  seconds: number,
  load: (second: number) => Second,
  limited: () => boolean,
  onStep: (second: number, step: ReceiveStep) => boolean,
  fps = 30,
): void {
  const counters = { framesIn: 0, framesLate: 0, decodeBusyMs: 0 };
  adaptation.update(0, counters, limited());
  for (let t = 1; t <= seconds; t++) {
    const { lost, usage } = load(t);
    counters.framesIn += fps;
    counters.framesLate += lost;
    counters.decodeBusyMs += usage * 1000;
    const step = adaptation.update(t * 1000, counters, limited());
    if (step) adaptation.stepped(t * 1000, step, onStep(t, step));
  }
}

const calm: Second = { lost: 0, usage: 0.1 };

describe('ReceiveAdaptation', () => {
  it('steps down at once when decoding takes most of the time, then lets the new layer settle', () => {
    const steps: string[] = [];
    let limited = false;
    drive(
      new ReceiveAdaptation(),
      6,
      (t) => (t >= 2 ? { lost: 0, usage: 0.9 } : calm),
      () => limited,
      (t, step) => {
        steps.push(`${t}:${step}`);
        limited = true;
        return true;
      },
    );
    // Down at 2 s; the windows that begin in the 2 s after it are not judged (the layer switch waits
    // for a keyframe); the first one after, 4–5 s, steps down again.
    expect(steps).toEqual(['2:down', '5:down']);
  });

  it('steps down when busy decoders lose a tenth of the frames', () => {
    const steps: string[] = [];
    drive(
      new ReceiveAdaptation(),
      3,
      (t) => (t === 2 ? { lost: 6, usage: 0.5 } : calm),
      () => false,
      (t, step) => (steps.push(`${t}:${step}`), true),
    );
    expect(steps).toEqual(['2:down']);
  });

  it('ignores frames lost while the decoders idle (a stalled page, bursts), a little loss, and thin windows', () => {
    const steps: string[] = [];
    const never = (t: number, step: ReceiveStep) => (steps.push(`${t}:${step}`), true);
    // Bursts after stalls: a third of the frames dropped, but decoding takes 5 % of the time.
    drive(
      new ReceiveAdaptation(),
      10,
      () => ({ lost: 10, usage: 0.05 }),
      () => false,
      never,
    );
    // Busy, and losing under a tenth.
    drive(
      new ReceiveAdaptation(),
      10,
      () => ({ lost: 2, usage: 0.6 }),
      () => false,
      never,
    );
    // All of 3 frames a second: a stream that is barely there decides nothing.
    drive(
      new ReceiveAdaptation(),
      10,
      () => ({ lost: 3, usage: 0.9 }),
      () => false,
      never,
      3,
    );
    expect(steps).toEqual([]);
  });

  it('steps back up only after a calm spell, and waits twice as long after a step up that had to be undone', () => {
    const steps: string[] = [];
    let limited = false;
    // Overloaded in the first second; calm; overloaded again in the 15th (soon after the step up); then calm.
    const load = (t: number) => (t === 1 || t === 15 ? { lost: 0, usage: 0.95 } : calm);
    drive(
      new ReceiveAdaptation(),
      60,
      load,
      () => limited,
      (t, step) => {
        steps.push(`${t}:${step}`);
        limited = step === 'down';
        return true;
      },
    );
    // Down at 1 s. Windows from 3 s on are judged (2 s to settle); calm from the one ending at 4 s, so
    // up 8 s later at 12 s. Overloaded at 15 s, within 10 s of that step up: down, and the next calm
    // spell must last 16 s: judged again from 17 s, calm from 18 s, up at 34 s.
    expect(steps).toEqual(['1:down', '12:up', '15:down', '34:up']);
  });

  it('does not step up while decoding would not fit four times the pixels', () => {
    const steps: string[] = [];
    drive(
      new ReceiveAdaptation(),
      30,
      () => ({ lost: 0, usage: 0.3 }),
      () => true,
      (t, step) => (steps.push(`${t}:${step}`), true),
    );
    expect(steps).toEqual([]);
  });

  it('proposes no step up while nothing is limited, and none at all when counters go back', () => {
    const steps: string[] = [];
    const adaptation = new ReceiveAdaptation();
    drive(
      adaptation,
      20,
      () => ({ lost: 0, usage: 0 }),
      () => false,
      (t, step) => (steps.push(`${t}:${step}`), true),
    );
    // A camera replaced: the totals shrink. That window is not judged.
    expect(adaptation.update(21_000, { framesIn: 10, framesLate: 0, decodeBusyMs: 0 }, true)).toBe(null);
    expect(steps).toEqual([]);
  });
});

const CAMERA = [
  { width: 1280, height: 720 },
  { width: 640, height: 360 },
  { width: 320, height: 180 },
];

describe('Subscriptions under the receive adaptation', () => {
  let sent: LayerWanted[][];
  let subs: Subscriptions;
  const participants = [
    { id: 'ada', videoLayers: CAMERA, screen: true, screenLayers: [{ width: 1920, height: 1080 }] },
    { id: 'bob', videoLayers: CAMERA },
  ];

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    subs = new Subscriptions(
      { participants: () => participants, send: (tracks) => sent.push(tracks), wanted: () => undefined },
      { width: 640, height: 360 },
    );
    subs.setViews([
      { participant: 'ada', width: 1280, height: 720 },
      { participant: 'ada', kind: 'screen', width: 1280, height: 720 },
      { participant: 'bob', width: 640, height: 360 },
    ]);
    vi.advanceTimersByTime(0);
  });
  afterEach(() => {
    subs.close();
    vi.useRealTimers();
  });

  it('steps cameras down a layer at a time below the largest received, never a screen share, and back up', () => {
    expect(sent.at(-1)).toEqual([
      { publisher: 'ada', layer: 0 },
      { publisher: 'ada', layer: 0, kind: 'screen' },
      { publisher: 'bob', layer: 1 },
    ]);
    expect(subs.stepDown()).toBe(true);
    vi.advanceTimersByTime(0);
    expect(subs.maxHeight).toBe(360);
    expect(sent.at(-1)).toEqual([
      { publisher: 'ada', layer: 1 },
      { publisher: 'ada', layer: 0, kind: 'screen' },
      { publisher: 'bob', layer: 1 },
    ]);
    expect(subs.stepDown()).toBe(true);
    vi.advanceTimersByTime(0);
    expect(subs.maxHeight).toBe(180);
    expect(sent.at(-1)).toEqual([
      { publisher: 'ada', layer: 2 },
      { publisher: 'ada', layer: 0, kind: 'screen' },
      { publisher: 'bob', layer: 2 },
    ]);
    // Nothing smaller to be had.
    expect(subs.stepDown()).toBe(false);
    expect(subs.stepUp()).toBe(true);
    vi.advanceTimersByTime(0);
    expect(subs.maxHeight).toBe(360);
    // The next step up reaches what the tiles ask: no limit left.
    expect(subs.stepUp()).toBe(true);
    vi.advanceTimersByTime(0);
    expect(subs.maxHeight).toBe(null);
    expect(sent.at(-1)).toEqual([
      { publisher: 'ada', layer: 0 },
      { publisher: 'ada', layer: 0, kind: 'screen' },
      { publisher: 'bob', layer: 1 },
    ]);
    expect(subs.stepUp()).toBe(false);
  });

  it('runs a second at a time in the room: overload steps down and says so, calm brings the tiles their size back', () => {
    const counters = { framesIn: 0, framesLate: 0, decodeBusyMs: 0 };
    const qualities: ReceiveQuality[] = [];
    const load = new ReceiveLoad(
      {
        counters: () => ({ ...counters }),
        stepDown: () => subs.stepDown(),
        stepUp: () => subs.stepUp(),
        maxHeight: () => subs.maxHeight,
        changed: (quality) => qualities.push(quality),
      },
      { stepUpAfterMs: 3000 },
    );
    load.start();
    const second = (usage: number) => {
      counters.framesIn += 30;
      counters.decodeBusyMs += usage * 1000;
      vi.advanceTimersByTime(1000);
    };
    second(0.1);
    second(0.9);
    expect(load.quality).toEqual({ maxHeight: 360, limitedBy: 'cpu' });
    for (let i = 0; i < 8; i++) second(0.1);
    expect(qualities).toEqual([
      { maxHeight: 360, limitedBy: 'cpu' },
      { maxHeight: null, limitedBy: null },
    ]);
    load.stop();
    second(1);
    expect(qualities).toHaveLength(2);
  });
});
