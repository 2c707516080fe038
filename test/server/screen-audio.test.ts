/**
 * A screen share's audio (`SCREEN_AUDIO`) through a relay: forwarded to everyone
 * else like audio, but outside the loudest-speaker choice and the active speakers;
 * announced in `MediaState.screen_audio`; held to the same checks as any media.
 */
import { SignJWT, type JWTPayload } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, ModerationAction, TrackKind } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { payloadText, sleep, startTestRelay, TestClient, waitFor } from './helpers.js';

const SILENT = 127;
const SPEECH = 30;
/** Louder than any speech: a share playing music at full scale. */
const LOUD = 0;

let relay: Relay | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});

async function join(
  room: string,
  name: string,
  init: Parameters<typeof TestClient.joined>[3] = {},
): Promise<TestClient> {
  const c = await TestClient.joined(relay!, room, name, init);
  clients.push(c);
  return c;
}

describe('screen share audio through the relay', () => {
  it('reaches everyone else, never takes a speaker’s place, and never makes its sharer the active speaker', async () => {
    relay = await startTestRelay({ maxAudible: 1, speakerHoldMs: 300 });
    const talker = await join('sa', 'talker');
    const sharer = await join('sa', 'sharer');
    const listener = await join('sa', 'listener');
    await sharer.next('peerJoined');
    sharer.send({ mediaState: { screen: true, screenAudio: true } });
    const announced = await listener.next('mediaState');
    expect(announced.from).toBe(sharer.id);
    expect(announced.mediaState).toMatchObject({ screen: true, screenAudio: true });

    // The talker speaks; the share plays louder than any voice, and its sharer's mic is silent.
    for (let i = 0; i < 20; i++) {
      talker.sendMedia(`talk${i}`, { kind: TrackKind.AUDIO, audioLevel: SPEECH }, 80);
      sharer.sendMedia(`share${i}`, { kind: TrackKind.SCREEN_AUDIO, audioLevel: LOUD }, 160);
      sharer.sendMedia(`mic${i}`, { kind: TrackKind.AUDIO, audioLevel: SILENT }, 80);
      await sleep(20);
    }
    const arrived = (tag: string) => () => listener.inbox.some((e) => e.body === 'media' && payloadText(e) === tag);
    await waitFor(arrived('share19'), 2000, 'the last shared frame');
    await waitFor(arrived('talk19'), 2000, 'the last spoken frame');
    const media = listener.inbox.filter((e) => e.body === 'media');
    // Every frame of the share, as sent; with one audible speaker, it is the talker.
    const shared = media.filter((e) => e.media?.kind === TrackKind.SCREEN_AUDIO);
    expect(shared.map((e) => payloadText(e))).toEqual(Array.from({ length: 20 }, (_, i) => `share${i}`));
    expect(shared.every((e) => e.from === sharer.id)).toBe(true);
    const talk = media.filter((e) => e.media?.kind === TrackKind.AUDIO).map((e) => payloadText(e));
    expect(talk.filter((t) => t.startsWith('talk')).length).toBe(20);
    expect(relay.stats().dropped['audio-not-audible']).toBeGreaterThan(0);
    // The talker hears the share too; the sharer does not get its own back.
    await talker.nextMedia('share19');
    await sharer.expectNone('media', 50, (e) => e.media?.kind === TrackKind.SCREEN_AUDIO);

    await waitFor(() => listener.inbox.some((e) => e.body === 'activeSpeakers'), 2000, 'active speakers');
    const speakers = listener.inbox.filter((e) => e.body === 'activeSpeakers').map((e) => e.activeSpeakers!.ids);
    expect(speakers.every((ids) => JSON.stringify(ids) === JSON.stringify([talker.id]))).toBe(true);
  });

  it('is announced only with the share itself: `screenAudio` without `screen` is dropped', async () => {
    relay = await startTestRelay();
    const sharer = await join('sa2', 'sharer');
    const other = await join('sa2', 'other');
    await sharer.next('peerJoined');
    sharer.send({ mediaState: { mic: true, screenAudio: true } });
    const state = (await other.next('mediaState')).mediaState;
    expect(state.mic).toBe(true);
    expect(state.screenAudio ?? false).toBe(false);
  });

  it('a malformed frame (a layer no track has) is refused and counted; an oversized one closes its sender, as for any kind', async () => {
    relay = await startTestRelay({ maxMessageBytes: 4096 });
    const sharer = await join('sa3', 'sharer');
    const other = await join('sa3', 'other');
    await sharer.next('peerJoined');
    sharer.sendMedia('bad-layer', { kind: TrackKind.SCREEN_AUDIO, layer: 99 }, 80);
    expect((await sharer.next('error')).error).toMatchObject({ code: ErrorCode.Malformed, fatal: false });
    expect(relay.stats().errors[ErrorCode.Malformed]).toBe(1);
    await other.expectNone('media', 50);
    sharer.sendMedia('fine', { kind: TrackKind.SCREEN_AUDIO }, 80);
    await other.nextMedia('fine');
    sharer.sendMedia('huge', { kind: TrackKind.SCREEN_AUDIO }, 4096 + 100);
    expect((await sharer.closed()).code).toBe(CloseCode.TooLarge);
    expect(relay.stats().errors[ErrorCode.TooLarge]).toBe(1);
    await other.expectNone('media', 50, (e) => payloadText(e) === 'huge');
  });
});

describe('screen share audio and access', () => {
  const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
  const token = (sub: string, grants?: JWTPayload['grants']): Promise<string> =>
    new SignJWT({ room: '*', sub, exp: Math.floor(Date.now() / 1000) + 3600, ...(grants ? { grants } : {}) })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));

  it('needs the `screen` grant, and stops with the camera when an admin mutes it', async () => {
    relay = await startTestRelay({ auth: { secret: SECRET } });
    const admin = await join('sg', 'admin', { token: await token('admin', { admin: true }) });
    const audioOnly = await join('sg', 'aud', { token: await token('aud', { publish: ['audio'] }) });
    const sharer = await join('sg', 'sharer', { token: await token('sharer') });
    await waitFor(() => admin.inbox.filter((e) => e.body === 'peerJoined').length === 2, 2000, 'both joined');

    audioOnly.sendMedia('not-granted', { kind: TrackKind.SCREEN_AUDIO }, 80);
    expect((await audioOnly.next('error')).error).toMatchObject({ code: ErrorCode.NotAllowed, fatal: false });
    expect(relay.stats().dropped['not-granted']).toBe(1);

    sharer.send({ mediaState: { screen: true, screenAudio: true } });
    sharer.sendMedia('heard', { kind: TrackKind.SCREEN_AUDIO }, 80);
    await admin.nextMedia('heard');
    admin.send({ moderation: { action: ModerationAction.MUTE_CAMERA, target: sharer.id } });
    await sharer.next('moderation');
    sharer.sendMedia('muted', { kind: TrackKind.SCREEN_AUDIO }, 80);
    await waitFor(() => (relay!.stats().dropped['moderated'] ?? 0) >= 1, 2000, 'dropped as moderated');
    await admin.expectNone('media', 50, (e) => payloadText(e) === 'muted' || payloadText(e) === 'not-granted');
  });
});
