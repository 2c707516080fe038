/**
 * How good a remote participant's connection looks from here, from what we
 * receive of them: a class for a tile's indicator, and the figures that set it.
 *
 * The rule (each figure counts only while that media is expected: their camera
 * on and subscribed, their microphone on):
 *
 * | figure                          | fair from | poor from |
 * |---------------------------------|-----------|-----------|
 * | video frame rate shown          | < 15 fps  | < 10 fps  |
 * | freezes in the last 10 s        | 1         | 2, or a picture stalled now |
 * | frames or packets lost          | > 1 %     | > 5 %     |
 * | audio jitter-buffer delay       | > 150 ms  | > 300 ms  |
 * | audio concealed (lost or late)  | > 3 %     | > 10 %    |
 *
 * The worst figure decides. Figures not known yet (just joined, media off) do
 * not count: a participant with nothing to judge is `good`.
 */

/** A connection's class: what a tile's bars show. */
export type ConnectionQuality = 'good' | 'fair' | 'poor';

/** Which figure made a connection less than good. */
export type QualityReason = 'frame-rate' | 'freezes' | 'stalled' | 'loss' | 'jitter-buffer' | 'concealment';

/** The figures the rule reads; null for a figure not known or not expected now. */
export interface QualityInputs {
  /** Video frames shown per second. */
  fps: number | null;
  /** Freezes that ended in the last 10 s. */
  recentFreezes: number | null;
  /** How long their picture has been stalled now (0 when it is not), ms. */
  stalledMs: number | null;
  /** Share of frames and packets lost, %, the worse of video and audio. */
  lossPct: number | null;
  /** Audio jitter-buffer delay, ms. */
  jitterBufferMs: number | null;
  /** Share of audio played that was concealment, %. */
  concealedPct: number | null;
}

/** The class and the figures that pulled it down (empty when good). */
export interface QualityVerdict {
  quality: ConnectionQuality;
  reasons: QualityReason[];
}

/** A picture stalled this long now counts as poor. */
export const STALL_POOR_MS = 1000;

/** Thresholds of the rule: `fair` beyond the first, `poor` beyond the second. */
const LIMITS = {
  fpsFair: 15,
  fpsPoor: 10,
  freezesFair: 1,
  freezesPoor: 2,
  lossFair: 1,
  lossPoor: 5,
  jitterFair: 150,
  jitterPoor: 300,
  concealedFair: 3,
  concealedPoor: 10,
} as const;

const RANK: Record<ConnectionQuality, number> = { good: 0, fair: 1, poor: 2 };

/** Applies the rule in the module comment. */
export function connectionQuality(inputs: QualityInputs): QualityVerdict {
  let quality: ConnectionQuality = 'good';
  const reasons: QualityReason[] = [];
  const note = (level: ConnectionQuality, reason: QualityReason) => {
    if (level === 'good') return;
    reasons.push(reason);
    if (RANK[level] > RANK[quality]) quality = level;
  };
  const { fps, recentFreezes, stalledMs, lossPct, jitterBufferMs, concealedPct } = inputs;
  if (fps !== null) note(fps < LIMITS.fpsPoor ? 'poor' : fps < LIMITS.fpsFair ? 'fair' : 'good', 'frame-rate');
  if (recentFreezes !== null)
    note(
      recentFreezes >= LIMITS.freezesPoor ? 'poor' : recentFreezes >= LIMITS.freezesFair ? 'fair' : 'good',
      'freezes',
    );
  if (stalledMs !== null && stalledMs >= STALL_POOR_MS) note('poor', 'stalled');
  if (lossPct !== null) note(lossPct > LIMITS.lossPoor ? 'poor' : lossPct > LIMITS.lossFair ? 'fair' : 'good', 'loss');
  if (jitterBufferMs !== null)
    note(
      jitterBufferMs > LIMITS.jitterPoor ? 'poor' : jitterBufferMs > LIMITS.jitterFair ? 'fair' : 'good',
      'jitter-buffer',
    );
  if (concealedPct !== null)
    note(
      concealedPct > LIMITS.concealedPoor ? 'poor' : concealedPct > LIMITS.concealedFair ? 'fair' : 'good',
      'concealment',
    );
  return { quality, reasons };
}
