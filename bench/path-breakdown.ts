/**
 * The per-stage breakdown of the media path from the product's own timeline
 * (`Room.startTimeline`, src/call/frame-timeline.ts): the sender's records of its
 * frames and the receiver's records of the same frames (matched by kind and
 * media timestamp; both pages share one clock) give each stage's p50/p95.
 */
import type { Page } from 'playwright-core';
import type { PlayoutSample, TimelineRecord, TimelineStage } from '../src/call/frame-timeline.js';
import { percentile } from './chromium.js';

/** One stage's figures, ms. */
export interface StageFigure {
  stage: string;
  p50Ms: number;
  p95Ms: number;
  samples: number;
}

export interface PathBreakdown {
  video: StageFigure[];
  audio: StageFigure[];
}

/** The stages in path order: [label, from, to, from the sender's record?, to the sender's record?]. */
const STAGES: [string, TimelineStage, TimelineStage, boolean, boolean][] = [
  ['capture → encoded', 'capture', 'encoded', true, true],
  ['encoded → sent', 'encoded', 'sent', true, true],
  ['sent → received (transport, relay)', 'sent', 'received', true, false],
  ['received → decrypted', 'received', 'decrypted', false, false],
  ['decrypted → decoded', 'decrypted', 'decoded', false, false],
  ['decoded → shown (lip sync)', 'decoded', 'shown', false, false],
];

/** Starts the timeline in each page's element (after the call settled). */
export async function startTimelines(pages: Page[]): Promise<void> {
  for (const page of pages)
    await page.evaluate(() => {
      document.querySelector('videocall-room')?.roomClient?.startTimeline();
    });
}

/** Stops a page's timeline and returns what it recorded. */
export function collectTimeline(page: Page): Promise<{ records: TimelineRecord[]; playout: PlayoutSample[] }> {
  return page.evaluate(() => {
    const timeline = document.querySelector('videocall-room')?.roomClient?.stopTimeline();
    return { records: timeline?.list() ?? [], playout: timeline?.playoutSamples() ?? [] };
  });
}

function figure(stage: string, values: number[]): StageFigure {
  const sorted = [...values].sort((a, b) => a - b);
  return { stage, p50Ms: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95), samples: values.length };
}

/** Joins the sender's own records with the receiver's records of them, stage by stage. */
export function pathBreakdown(
  sender: TimelineRecord[],
  receiver: TimelineRecord[],
  playout: PlayoutSample[],
  senderId: string,
): PathBreakdown {
  // The sender keeps a record per simulcast layer; the receiver's record says which layer it got.
  const own = new Map(
    sender.filter((r) => r.participant === '').map((r) => [`${r.kind}|${r.timestamp}|${r.layer ?? 0}`, r]),
  );
  const result: PathBreakdown = { video: [], audio: [] };
  for (const kind of ['video', 'audio'] as const) {
    const pairs = receiver
      .filter((r) => r.participant === senderId && r.kind === kind)
      .flatMap((r) => {
        const s = own.get(`${kind}|${r.timestamp}|${r.layer ?? 0}`);
        return s ? [[s, r] as const] : [];
      });
    for (const [label, from, to, fromSender, toSender] of STAGES) {
      if (kind === 'audio' && to === 'shown') continue;
      const values = pairs.flatMap(([s, r]) => {
        const a = (fromSender ? s : r).marks[from];
        const b = (toSender ? s : r).marks[to];
        return a === undefined || b === undefined ? [] : [b - a];
      });
      if (values.length) result[kind].push(figure(label, values));
    }
    const total = pairs.flatMap(([s, r]) => {
      const a = s.marks.capture;
      const b = kind === 'video' ? r.marks.shown : r.marks.decoded;
      return a === undefined || b === undefined ? [] : [b - a];
    });
    if (total.length) result[kind].push(figure(kind === 'video' ? 'capture → shown' : 'capture → decoded', total));
  }
  const mine = playout.filter((p) => p.participant === senderId);
  if (mine.length) {
    result.audio.push(
      figure(
        'jitter buffer',
        mine.map((p) => p.bufferMs),
      ),
    );
    result.audio.push(
      figure(
        'audio output (device)',
        mine.map((p) => p.outputMs),
      ),
    );
  }
  return result;
}

export function describeBreakdown(b: PathBreakdown): string {
  const line = (f: StageFigure) =>
    `    ${f.stage.padEnd(36)} p50 ${f.p50Ms.toFixed(1).padStart(6)} ms  p95 ${f.p95Ms.toFixed(1).padStart(6)} ms  (${f.samples})`;
  return [
    '  video path:',
    ...b.video.map(line),
    ...(b.audio.length ? ['  audio path:', ...b.audio.map(line)] : []),
  ].join('\n');
}
