import { describe, expect, it } from 'vitest';
import {
  detailLadder,
  SendAdaptation,
  sendLadder,
  simulcastLadder,
  type SendQuality,
} from '../../src/codec/send-adaptation.js';

/**
 * Drives an adaptation as an encoder at `fps` would: one frame every interval
 * taking `encodeMs` (a keyframe every 5 s), a check after each. Returns every
 * change with the time it came.
 */
function run(
  adapt: SendAdaptation,
  from: number,
  seconds: number,
  encodeMs: number | ((q: SendQuality) => number),
  extra: { busyPerSecond?: number; networkDropsPerSecond?: number } = {},
): { at: number; quality: SendQuality }[] {
  const changes: { at: number; quality: SendQuality }[] = [];
  const end = from + seconds * 1000;
  let frame = 0;
  for (let now = from; now < end; frame++) {
    const q = adapt.current;
    const cost = typeof encodeMs === 'number' ? encodeMs : encodeMs(q);
    adapt.frameEncoded(cost, frame % 150 === 0, now);
    const perSecond = q.framerate;
    if (extra.busyPerSecond && frame % Math.max(1, Math.round(perSecond / extra.busyPerSecond)) === 0)
      adapt.encoderBusy();
    if (extra.networkDropsPerSecond && frame % Math.max(1, Math.round(perSecond / extra.networkDropsPerSecond)) === 0)
      adapt.networkDrop();
    const change = adapt.check(now);
    if (change) changes.push({ at: now - from, quality: change });
    now += 1000 / q.framerate;
  }
  return changes;
}

/** Encode cost in ms that scales with the pixels sent: `at720` for 720p. */
const costAt = (at720: number) => (q: SendQuality) => (at720 * q.height * q.height) / (720 * 720);

describe('sendLadder', () => {
  it('goes down in resolution from the source (never above it), then in frame rate at the smallest size', () => {
    expect(sendLadder(720, 720, 30)).toEqual([
      { height: 720, framerate: 30 },
      { height: 540, framerate: 30 },
      { height: 360, framerate: 30 },
      { height: 270, framerate: 30 },
      { height: 180, framerate: 30 },
      { height: 180, framerate: 20 },
      { height: 180, framerate: 15 },
      { height: 180, framerate: 10 },
    ]);
    expect(sendLadder(1080, 720, 30)[0]).toEqual({ height: 720, framerate: 30 });
    expect(sendLadder(360, 720, 15).map((s) => `${s.height}@${s.framerate}`)).toEqual([
      '360@15',
      '270@15',
      '180@15',
      '180@10',
    ]);
    // A tiny source keeps its own size.
    expect(sendLadder(120, 720, 30).map((s) => s.height)).toEqual([120, 120, 120, 120]);
  });
});

describe('SendAdaptation', () => {
  it('stays at the top while the encoder keeps up', () => {
    const adapt = new SendAdaptation(sendLadder(720, 720, 30));
    expect(run(adapt, 0, 30, 12)).toEqual([]);
    expect(adapt.current).toEqual({ height: 720, framerate: 30, limitedBy: null });
  });

  it('steps the size down when encoding takes most of each frame interval, within about a second', () => {
    const adapt = new SendAdaptation(sendLadder(720, 720, 30));
    const changes = run(adapt, 0, 20, costAt(40)); // 40 ms a frame at 720p: 1.2× the interval
    expect(changes[0]!.at).toBeLessThanOrEqual(1100);
    expect(changes[0]!.quality).toEqual({ height: 540, framerate: 30, limitedBy: 'cpu' });
    // Settles where it keeps up (540p: 22.5 ms, 68 % of 33 ms), and stays there.
    expect(adapt.current).toMatchObject({ height: 540, limitedBy: 'cpu' });
    expect(changes).toHaveLength(1);
  });

  it('steps two rungs at once when far behind, then on down to lower frame rates if it must', () => {
    const adapt = new SendAdaptation(sendLadder(720, 720, 30));
    const changes = run(adapt, 0, 20, (q) => Math.max(costAt(400)(q), 200)); // hopeless at every size
    expect(changes[0]!.quality.height).toBe(360); // 720 → 360 in one move
    expect(adapt.current).toEqual({ height: 180, framerate: 10, limitedBy: 'cpu' });
    // Every move was down, a step at least 1.5 s (the settle time) after the last.
    for (let i = 1; i < changes.length; i++) expect(changes[i]!.at - changes[i - 1]!.at).toBeGreaterThanOrEqual(1500);
  });

  it('steps down when the encoder skips frames for being busy, even without timing samples', () => {
    const adapt = new SendAdaptation(sendLadder(720, 720, 30));
    const changes = run(adapt, 0, 2.5, 5, { busyPerSecond: 5 });
    expect(changes[0]!.quality).toMatchObject({ height: 540, limitedBy: 'cpu' });
  });

  it('steps down for a congested network, saying so, and keeps keyframes out of the load figure', () => {
    const adapt = new SendAdaptation(sendLadder(720, 720, 30));
    const changes = run(adapt, 0, 2.5, 5, { networkDropsPerSecond: 3 });
    expect(changes[0]!.quality).toEqual({ height: 540, framerate: 30, limitedBy: 'network' });
    // A keyframe costing 10 intervals is not overload.
    const calm = new SendAdaptation(sendLadder(720, 720, 30));
    calm.frameEncoded(330, true, 0);
    for (let t = 33; t < 2000; t += 33) calm.frameEncoded(10, false, t);
    expect(calm.check(0)).toBeNull();
    expect(calm.check(2000)).toBeNull();
  });

  it('comes back up when the load goes away, one rung at a time, after the load stayed low for a while', () => {
    const adapt = new SendAdaptation(sendLadder(720, 720, 30));
    run(adapt, 0, 20, 200);
    expect(adapt.current).toEqual({ height: 180, framerate: 10, limitedBy: 'cpu' });
    const changes = run(adapt, 20_000, 60, 3);
    expect(changes.map((c) => `${c.quality.height}@${c.quality.framerate}`)).toEqual([
      '180@15',
      '180@20',
      '180@30',
      '270@30',
      '360@30',
      '540@30',
      '720@30',
    ]);
    expect(changes[0]!.at).toBeGreaterThanOrEqual(4000);
    expect(adapt.current).toEqual({ height: 720, framerate: 30, limitedBy: null });
  });

  it('waits longer before trying again after a step up that had to be undone (no see-saw)', () => {
    const adapt = new SendAdaptation(sendLadder(720, 720, 30));
    // 720p costs 40 ms (too much), 540p 22.5 ms (fine but not low enough to step up: 68 %)… unless
    // the load eases to where 540p looks idle: 10 ms at 540p means 720p costs 17.8 — then it is
    // made heavier again at 720p: a step up that fails.
    const cost = (q: SendQuality) => (q.height === 720 ? 40 : 10);
    const changes = run(adapt, 0, 120, cost);
    const ups = changes.filter((c) => c.quality.height === 720);
    expect(ups.length).toBeGreaterThanOrEqual(2);
    const gaps = ups.slice(1).map((u, i) => u.at - ups[i]!.at);
    // Each retry waits longer than the one before (the wait doubles; detecting and settling add a fixed part).
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]! + 3000);
    expect(gaps.at(-1)!).toBeGreaterThan(2 * gaps[0]!);
    expect(ups.length).toBeLessThanOrEqual(6); // in 2 minutes: not every few seconds
  });
});

describe('SendAdaptation with simulcast layers', () => {
  /** Encode cost of a camera frame in ms: every layer up to the step's height, each by its pixels (`at720` for 720p). */
  const layersCost = (heights: number[], at720: number) => (q: SendQuality) =>
    heights.filter((h) => h <= q.height).reduce((sum, h) => sum + (at720 * h * h) / (720 * 720), 0);

  it('has a rung per layer (all, then without the top one, …), then lower frame rates for the smallest', () => {
    expect(simulcastLadder([720, 360, 180], 30).map((s) => `${s.height}@${s.framerate}`)).toEqual([
      '720@30',
      '360@30',
      '180@30',
      '180@20',
      '180@15',
      '180@10',
    ]);
    expect(simulcastLadder([360, 180], 15).map((s) => `${s.height}@${s.framerate}`)).toEqual([
      '360@15',
      '180@15',
      '180@10',
    ]);
    expect(() => simulcastLadder([], 30)).toThrow(RangeError);
  });

  it('stops the top layer first when the three layers together overuse the encoder, and keeps the others', () => {
    const heights = [720, 360, 180];
    const adapt = new SendAdaptation(simulcastLadder(heights, 30));
    // All three 36 ms a frame: 1.08× the interval. Without the top layer 18 ms: 54 %, busy but keeping up.
    const changes = run(adapt, 0, 20, (q) => (q.height === 720 ? 36 : q.height === 360 ? 18 : 5));
    expect(changes[0]!.at).toBeLessThanOrEqual(1100);
    expect(changes[0]!.quality).toEqual({ height: 360, framerate: 30, limitedBy: 'cpu' });
    expect(changes).toHaveLength(1);
    expect(adapt.current).toMatchObject({ height: 360, framerate: 30, limitedBy: 'cpu' });
  });

  it('then steps on down to the smallest layer alone and lower frame rates, and back up when the load goes', () => {
    const heights = [720, 360, 180];
    const adapt = new SendAdaptation(simulcastLadder(heights, 30));
    run(adapt, 0, 20, (q) => Math.max(layersCost(heights, 400)(q), 200)); // hopeless at every rung
    expect(adapt.current).toEqual({ height: 180, framerate: 10, limitedBy: 'cpu' });
    const changes = run(adapt, 20_000, 60, 2);
    expect(changes.map((c) => `${c.quality.height}@${c.quality.framerate}`)).toEqual([
      '180@15',
      '180@20',
      '180@30',
      '360@30',
      '720@30',
    ]);
    expect(adapt.current).toEqual({ height: 720, framerate: 30, limitedBy: null });
  });

  it('steps further down at once when a step stopped only layers nobody watches, never into lower frame rates', () => {
    const adapt = new SendAdaptation(simulcastLadder([720, 360, 180], 30));
    expect(adapt.stepDownFurther(0)).toBeNull(); // at the top: nothing to go on with
    run(adapt, 0, 1.2, 36); // overused (1.08× the interval): the first step down, to 360
    expect(adapt.current).toMatchObject({ height: 360, limitedBy: 'cpu' });
    expect(adapt.stepDownFurther(1200)).toEqual({ height: 180, framerate: 30, limitedBy: 'cpu' });
    expect(adapt.stepDownFurther(1200)).toBeNull(); // the next rung lowers the frame rate: not without a reason
    expect(adapt.current).toEqual({ height: 180, framerate: 30, limitedBy: 'cpu' });
  });

  it('far behind, jumps two sizes at once but never straight into a lower frame rate', () => {
    const adapt = new SendAdaptation(simulcastLadder([360, 180], 30));
    const changes = run(adapt, 0, 1.2, 80); // 2.4× the interval
    expect(changes[0]!.quality).toEqual({ height: 180, framerate: 30, limitedBy: 'cpu' });
  });
});

describe('SendAdaptation for detail (a screen share of text)', () => {
  /** Encode cost in ms of a screen frame: each layer by its pixels (`at1080` for 1080p), whatever the frame rate. */
  const screenCost = (heights: number[], at1080: number) => (q: SendQuality) =>
    heights.filter((h) => h <= q.height).reduce((sum, h) => sum + (at1080 * h * h) / (1080 * 1080), 0);

  it('lowers the frame rate to 5 fps at full size first, then gives up layers from the top at 5 fps', () => {
    expect(detailLadder([1080, 360], 15).map((s) => `${s.height}@${s.framerate}`)).toEqual([
      '1080@15',
      '1080@10',
      '1080@5',
      '360@5',
    ]);
    // A screen already slow keeps its rate until 5; one layer only: sizes after the rates.
    expect(detailLadder([720], 10).map((s) => `${s.height}@${s.framerate}`)).toEqual(['720@10', '720@5']);
    expect(detailLadder([720, 540, 360], 5).map((s) => `${s.height}@${s.framerate}`)).toEqual([
      '720@5',
      '540@5',
      '360@5',
    ]);
    expect(() => detailLadder([], 15)).toThrow(RangeError);
  });

  it('an encoder too slow for 15 fps of a 1080p screen settles at a lower frame rate, still 1080p', () => {
    const heights = [1080, 360];
    const adapt = new SendAdaptation(detailLadder(heights, 15));
    // 100 ms a 1080p frame (+11 for 360p): 1.67× the 15 fps interval, 1.1× at 10 fps, 0.56× at 5 fps.
    const changes = run(adapt, 0, 30, screenCost(heights, 100));
    expect(changes.map((c) => `${c.quality.height}@${c.quality.framerate}`)).toEqual(['1080@10', '1080@5']);
    expect(adapt.current).toEqual({ height: 1080, framerate: 5, limitedBy: 'cpu' });
  });

  it('a congested network takes the frame rate first, then the top layer; back up in the same order reversed', () => {
    const adapt = new SendAdaptation(detailLadder([1080, 360], 15));
    const down = run(adapt, 0, 10, 5, { networkDropsPerSecond: 5 });
    expect(down.map((c) => `${c.quality.height}@${c.quality.framerate} ${c.quality.limitedBy}`)).toEqual([
      '1080@10 network',
      '1080@5 network',
      '360@5 network',
    ]);
    const up = run(adapt, 10_000, 60, 5);
    expect(up.map((c) => `${c.quality.height}@${c.quality.framerate}`)).toEqual(['1080@5', '1080@10', '1080@15']);
    expect(adapt.current.limitedBy).toBeNull();
  });
});
