import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectionQuality, type QualityInputs } from '../../../src/call/connection-quality.js';

const unknown: QualityInputs = {
  fps: null,
  recentFreezes: null,
  stalledMs: null,
  lossPct: null,
  jitterBufferMs: null,
  concealedPct: null,
};
const healthy: QualityInputs = {
  fps: 24,
  recentFreezes: 0,
  stalledMs: 0,
  lossPct: 0,
  jitterBufferMs: 60,
  concealedPct: 0.5,
};

describe('connectionQuality', () => {
  it('is good with healthy figures, and with none known yet', () => {
    expect(connectionQuality(healthy)).toEqual({ quality: 'good', reasons: [] });
    expect(connectionQuality(unknown)).toEqual({ quality: 'good', reasons: [] });
  });

  it.each([
    [{ fps: 9 }, 'poor', 'frame-rate'],
    [{ fps: 12 }, 'fair', 'frame-rate'],
    [{ recentFreezes: 1 }, 'fair', 'freezes'],
    [{ recentFreezes: 2 }, 'poor', 'freezes'],
    [{ stalledMs: 1500 }, 'poor', 'stalled'],
    [{ lossPct: 2 }, 'fair', 'loss'],
    [{ lossPct: 6 }, 'poor', 'loss'],
    [{ jitterBufferMs: 200 }, 'fair', 'jitter-buffer'],
    [{ jitterBufferMs: 350 }, 'poor', 'jitter-buffer'],
    [{ concealedPct: 5 }, 'fair', 'concealment'],
    [{ concealedPct: 12 }, 'poor', 'concealment'],
  ] as const)('%o makes it %s (%s)', (change, quality, reason) => {
    expect(connectionQuality({ ...healthy, ...change })).toEqual({ quality, reasons: [reason] });
  });

  it('takes the worst figure, and names every figure below good', () => {
    expect(connectionQuality({ ...healthy, fps: 12, lossPct: 8 })).toEqual({
      quality: 'poor',
      reasons: ['frame-rate', 'loss'],
    });
  });

  it('never gets better when a figure gets worse', () => {
    const rank = { good: 0, fair: 1, poor: 2 } as const;
    const figures = fc.record({
      fps: fc.option(fc.double({ min: 0, max: 60, noNaN: true })),
      recentFreezes: fc.option(fc.integer({ min: 0, max: 10 })),
      stalledMs: fc.option(fc.double({ min: 0, max: 5000, noNaN: true })),
      lossPct: fc.option(fc.double({ min: 0, max: 100, noNaN: true })),
      jitterBufferMs: fc.option(fc.double({ min: 0, max: 1000, noNaN: true })),
      concealedPct: fc.option(fc.double({ min: 0, max: 100, noNaN: true })),
    });
    fc.assert(
      fc.property(figures, fc.double({ min: 0, max: 1, noNaN: true }), (f, by) => {
        const worse: QualityInputs = {
          fps: f.fps === null ? null : f.fps * by,
          recentFreezes: f.recentFreezes === null ? null : f.recentFreezes + 1,
          stalledMs: f.stalledMs === null ? null : f.stalledMs + 100,
          lossPct: f.lossPct === null ? null : f.lossPct + by,
          jitterBufferMs: f.jitterBufferMs === null ? null : f.jitterBufferMs + 50,
          concealedPct: f.concealedPct === null ? null : f.concealedPct + by,
        };
        expect(rank[connectionQuality(worse).quality]).toBeGreaterThanOrEqual(rank[connectionQuality(f).quality]);
      }),
    );
  });
});
