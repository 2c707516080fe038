/**
 * Loudest-N audio: which microphones the relay forwards and who it reports as
 * active speakers, from synthetic audio levels — the chooser on a test clock,
 * then a relay over real sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TrackKind } from '../../src/protocol/index.js';
import { LoudestSpeakers } from '../../server/loudest-speakers.js';
import type { Relay } from '../../server/relay.js';
import { payloadText, sleep, startTestRelay, TestClient, waitFor } from './helpers.js';

/** A chooser on a clock the test moves, 20 ms per step as audio packets come. */
function chooser(maxAudible = 2, holdMs = 1000) {
  let now = 0;
  const speakers = new LoudestSpeakers({ maxAudible, holdMs, now: () => now });
  return {
    speakers,
    /** One 20 ms step: each of `levels` sends a frame; returns who was forwarded. */
    step(levels: Record<string, number>): string[] {
      now += 20;
      return Object.entries(levels)
        .filter(([id, level]) => speakers.offer(id, level))
        .map(([id]) => id);
    },
    advance(ms: number, levels: Record<string, number>): void {
      for (let t = 0; t < ms; t += 20) this.step(levels);
    },
  };
}

const SILENT = 127;
const SPEECH = 30;

describe('LoudestSpeakers', () => {
  it('forwards a speaker from its first loud frame, even with the set full; silence from outside the set is not forwarded', () => {
    const c = chooser(2);
    c.advance(200, { a: SPEECH, b: SPEECH, c: SILENT });
    expect(c.step({ a: SPEECH, b: SPEECH, c: SILENT })).toEqual(['a', 'b']);
    // c starts talking while a and b still do: heard from its first frame.
    expect(c.step({ a: SPEECH, b: SPEECH, c: SPEECH })).toEqual(['a', 'b', 'c']);
  });

  it('evicts only a speaker quiet for the hold time, so nobody is cut mid-sentence', () => {
    const c = chooser(2, 1000);
    c.advance(200, { a: SPEECH, b: SPEECH });
    c.step({ a: SPEECH, b: SPEECH, c: SPEECH });
    // a falls quiet: still forwarded (its quiet frames too) until the hold time is over.
    c.advance(900, { a: SILENT, b: SPEECH, c: SPEECH });
    expect(c.step({ a: SILENT, b: SPEECH, c: SPEECH })).toEqual(['a', 'b', 'c']);
    c.advance(200, { a: SILENT, b: SPEECH, c: SPEECH });
    expect(c.step({ a: SILENT, b: SPEECH, c: SPEECH })).toEqual(['b', 'c']);
    expect(c.speakers.audibleIds.sort()).toEqual(['b', 'c']);
    // Back to speech: heard at once again.
    expect(c.step({ a: SPEECH, b: SPEECH, c: SPEECH })).toEqual(['a', 'b', 'c']);
  });

  it('forwards anyone while the set has room; one who never spoke yields its place at once to a speaker', () => {
    const c = chooser(2, 1000);
    expect(c.step({ a: SILENT, b: SILENT })).toEqual(['a', 'b']);
    // a's frame came before c spoke up; c then takes a's place.
    expect(c.step({ a: SILENT, b: SPEECH, c: SPEECH })).toEqual(['a', 'b', 'c']);
    expect(c.speakers.audibleIds.sort()).toEqual(['b', 'c']);
    expect(c.step({ a: SILENT, b: SPEECH, c: SPEECH })).toEqual(['b', 'c']);
  });

  it('keeps a quiet speaker while the set has room (no churn), and holds at most twice the limit', () => {
    const c = chooser(2, 1000);
    c.advance(100, { a: SPEECH });
    c.advance(3000, { a: SILENT });
    expect(c.step({ a: SILENT })).toEqual(['a']);
    const c2 = chooser(2, 1000);
    expect(c2.step({ a: SPEECH, b: SPEECH, c: SPEECH, d: SPEECH, e: SPEECH })).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reports active speakers loudest first, and reorders only past a margin', () => {
    const c = chooser(3, 1000);
    c.advance(400, { a: 40, b: 30 });
    expect(c.speakers.activeSpeakersChange()).toEqual(['b', 'a']);
    expect(c.speakers.activeSpeakersChange()).toBeUndefined();
    // a a little louder than b: within the margin, no change.
    c.advance(400, { a: 28, b: 30 });
    expect(c.speakers.activeSpeakersChange()).toBeUndefined();
    // a much louder: it goes first.
    c.advance(400, { a: 10, b: 30 });
    expect(c.speakers.activeSpeakersChange()).toEqual(['a', 'b']);
    // b falls silent: gone from the list after the hold time, not before.
    c.advance(600, { a: 10, b: SILENT });
    expect(c.speakers.activeSpeakersChange()).toBeUndefined();
    c.advance(600, { a: 10, b: SILENT });
    expect(c.speakers.activeSpeakersChange()).toEqual(['a']);
  });

  it('forwards every microphone with maxAudible 0, and still reports who speaks', () => {
    const c = chooser(0);
    expect(c.step({ a: SILENT, b: SPEECH, c: SPEECH, d: SPEECH })).toEqual(['a', 'b', 'c', 'd']);
    expect(c.speakers.activeSpeakersChange()?.sort()).toEqual(['b', 'c', 'd']);
  });
});

describe('loudest microphones through the relay', () => {
  let relay: Relay | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await relay?.close();
  });

  it('forwards the two loudest of three, lets a new speaker in at its first word, and announces active speakers', async () => {
    relay = await startTestRelay({ maxAudible: 2, speakerHoldMs: 300 });
    const join = async (name: string): Promise<TestClient> => {
      const c = await TestClient.joined(relay!, 'r', name);
      clients.push(c);
      return c;
    };
    const [a, b, c, listener] = [await join('a'), await join('b'), await join('c'), await join('listener')];
    const audio = (p: TestClient, tag: string, level: number): void =>
      p.sendMedia(tag, { kind: TrackKind.AUDIO, audioLevel: level }, 80);
    // a and b talk, c is silent: the listener hears a and b only.
    for (let i = 0; i < 10; i++) {
      audio(a, `a${i}`, SPEECH);
      audio(b, `b${i}`, 20);
      audio(c, `c${i}`, SILENT);
      await sleep(20);
    }
    // Loudest first (a tick may have caught a alone first).
    await waitFor(
      () => listener.inbox.some((e) => JSON.stringify(e.activeSpeakers?.ids) === JSON.stringify([b.id, a.id])),
      2000,
      'active speakers b, a',
    );
    expect(listener.inbox.filter((e) => e.body === 'activeSpeakers').length).toBeLessThanOrEqual(2);
    await sleep(50);
    const heard = (): string[] =>
      listener.inbox.filter((e) => e.body === 'media').map((e) => payloadText(e).replace(/\d+$/, ''));
    expect(new Set(heard())).toEqual(new Set(['a', 'b']));
    listener.inbox.length = 0;
    // c speaks up while both still talk: its very first loud frame is forwarded.
    audio(c, 'c-first', SPEECH);
    await listener.nextMedia('c-first');
    // a falls silent; after the hold time it is no longer forwarded, c and b are.
    for (let i = 0; i < 25; i++) {
      audio(a, `quiet-a${i}`, SILENT);
      audio(b, `b${i}`, 20);
      audio(c, `c${i}`, SPEECH);
      await sleep(20);
    }
    listener.inbox.length = 0;
    audio(a, 'late-a', SILENT);
    audio(b, 'late-b', 20);
    audio(c, 'late-c', SPEECH);
    await listener.nextMedia('late-c');
    await listener.nextMedia('late-b');
    await listener.expectNone('media', 100, (e) => payloadText(e) === 'late-a');
    expect(relay.stats().dropped['audio-not-audible']).toBeGreaterThan(0);
    await waitFor(
      () => listener.inbox.some((e) => e.body === 'activeSpeakers' && !e.activeSpeakers!.ids!.includes(a.id)),
      2000,
      'active speakers without a',
    );
  });
});

describe('active speakers for a joiner', () => {
  let relay: Relay | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await relay?.close();
  });

  it('a participant who joins while someone speaks is told who, right after Welcome, without waiting for a change', async () => {
    relay = await startTestRelay({ maxAudible: 2, speakerHoldMs: 2000 });
    const a = await TestClient.joined(relay, 'j', 'a');
    const early = await TestClient.joined(relay, 'j', 'early');
    clients.push(a, early);
    for (let i = 0; i < 15; i++) {
      a.sendMedia(`a${i}`, { kind: TrackKind.AUDIO, audioLevel: SPEECH }, 80);
      await sleep(20);
    }
    await waitFor(() => early.inbox.some((e) => e.activeSpeakers?.ids?.[0] === a.id), 2000, 'a speaking');
    const late = await TestClient.joined(relay, 'j', 'late');
    clients.push(late);
    await waitFor(() => late.inbox.some((e) => e.body === 'activeSpeakers'), 1000, 'the joiner told');
    const told = late.inbox.filter((e) => e.body === 'activeSpeakers');
    expect(told[0]!.activeSpeakers!.ids).toEqual([a.id]);
  });

  it('nobody speaking: a joiner gets no ActiveSpeakers', async () => {
    relay = await startTestRelay();
    const a = await TestClient.joined(relay, 'q', 'a');
    clients.push(a);
    const late = await TestClient.joined(relay, 'q', 'late');
    clients.push(late);
    await sleep(600);
    expect(late.inbox.some((e) => e.body === 'activeSpeakers')).toBe(false);
  });
});
