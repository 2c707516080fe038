import { describe, expect, it } from 'vitest';
import { FrameTimeline } from '../../src/call/frame-timeline.js';

describe('FrameTimeline', () => {
  it('collects the stages of one frame into one record, apart from other senders and kinds', () => {
    const timeline = new FrameTimeline();
    timeline.mark('', 'video', 33_000, 'capture', 100);
    timeline.mark('', 'video', 33_000, 'encoded', 108);
    timeline.mark('', 'video', 33_000, 'sent', 109);
    timeline.mark('p1', 'video', 33_000, 'received', 115);
    timeline.mark('', 'audio', 33_000, 'capture', 101);
    expect(timeline.list()).toEqual([
      { participant: '', kind: 'video', timestamp: 33_000, layer: 0, marks: { capture: 100, encoded: 108, sent: 109 } },
      { participant: 'p1', kind: 'video', timestamp: 33_000, layer: 0, marks: { received: 115 } },
      { participant: '', kind: 'audio', timestamp: 33_000, layer: 0, marks: { capture: 101 } },
    ]);
  });

  it('keeps a record per simulcast layer of our own frames, and notes the layer a receiver got', () => {
    const timeline = new FrameTimeline();
    timeline.mark('', 'video', 66_000, 'encoded', 200, 0);
    timeline.mark('', 'video', 66_000, 'encoded', 203, 2);
    timeline.mark('p1', 'video', 66_000, 'received', 210, 2);
    timeline.mark('p1', 'video', 66_000, 'decoded', 214);
    expect(timeline.list()).toEqual([
      { participant: '', kind: 'video', timestamp: 66_000, layer: 0, marks: { encoded: 200 } },
      { participant: '', kind: 'video', timestamp: 66_000, layer: 2, marks: { encoded: 203 } },
      { participant: 'p1', kind: 'video', timestamp: 66_000, layer: 2, marks: { received: 210, decoded: 214 } },
    ]);
  });

  it('keeps only the newest records, and copies what it lists', () => {
    const timeline = new FrameTimeline(3);
    for (let i = 0; i < 5; i++) timeline.mark('', 'video', i, 'encoded', i);
    const listed = timeline.list();
    expect(listed.map((r) => r.timestamp)).toEqual([2, 3, 4]);
    listed[0]!.marks.encoded = -1;
    expect(timeline.list()[0]!.marks.encoded).toBe(2);
    timeline.clear();
    expect(timeline.list()).toEqual([]);
  });

  it('keeps playout samples, bounded', () => {
    const timeline = new FrameTimeline();
    for (let i = 0; i < 2100; i++)
      timeline.notePlayout({ participant: 'p1', at: i, bufferMs: 30, targetMs: 28, outputMs: 40 });
    const samples = timeline.playoutSamples();
    expect(samples).toHaveLength(2000);
    expect(samples[0]!.at).toBe(100);
  });
});
