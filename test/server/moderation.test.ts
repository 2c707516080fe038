import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, ModerationAction, TrackKind } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { startTestRelay, TestClient, waitFor } from './helpers.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);
const nowS = (): number => Math.floor(Date.now() / 1000);

function token(sub: string, grants: JWTPayload['grants'] = undefined): Promise<string> {
  return new SignJWT({ room: '*', sub, exp: nowS() + 3600, ...(grants ? { grants } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(key);
}

describe('moderation by admins', () => {
  let relay: Relay;
  const clients: TestClient[] = [];
  const joined = async (room: string, sub: string, grants?: JWTPayload['grants']): Promise<TestClient> => {
    const c = await TestClient.connect(relay.wsUrl, sub);
    clients.push(c);
    await c.join(room, sub, { token: await token(sub, grants), state: { mic: true, camera: true } });
    return c;
  };

  beforeAll(async () => {
    relay = await startTestRelay({ auth: { secret: SECRET } });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await relay.close();
  });

  it('mutes a mic at the relay; the target is told, others see it off; it may turn it on again itself', async () => {
    const admin = await joined('m1', 'admin', { admin: true });
    const bob = await joined('m1', 'bob');
    const carol = await joined('m1', 'carol');
    await admin.next('peerJoined');
    admin.send({ moderation: { action: ModerationAction.MUTE_MIC, target: bob.id } });
    const told = await bob.next('moderation');
    expect(told.moderation).toMatchObject({ action: ModerationAction.MUTE_MIC, target: bob.id });
    expect(told.from).toBe(admin.id);
    const seen = await carol.next('mediaState');
    expect(seen.from).toBe(bob.id);
    expect(seen.mediaState).toMatchObject({ camera: true });
    expect(seen.mediaState.mic ?? false).toBe(false);
    // A client that ignores the mute: its audio stops at the relay; video still flows.
    bob.sendMedia('bob-audio', { kind: TrackKind.AUDIO });
    bob.sendMedia('bob-video', { kind: TrackKind.VIDEO, keyframe: true });
    await carol.nextMedia('bob-video');
    await carol.expectNone('media', 100, (e) => e.media?.kind === TrackKind.AUDIO);
    await waitFor(() => (relay.stats().dropped['moderated'] ?? 0) >= 1);
    // The participant turns its mic on again: allowed (the mute was not locked).
    bob.send({ mediaState: { mic: true, camera: true } });
    expect((await carol.next('mediaState')).mediaState.mic).toBe(true);
    bob.sendMedia('bob-audio-2', { kind: TrackKind.AUDIO });
    await carol.nextMedia('bob-audio-2');
  });

  it('a locked mute holds until an admin allows it again, and others see the lock', async () => {
    const admin = await joined('m2', 'admin', { admin: true });
    const bob = await joined('m2', 'bob');
    await admin.next('peerJoined');
    admin.send({ moderation: { action: ModerationAction.MUTE_MIC, target: bob.id, lock: true } });
    expect((await bob.next('moderation')).moderation.lock).toBe(true);
    expect((await admin.next('mediaState')).mediaState).toMatchObject({ micLocked: true });
    bob.send({ mediaState: { mic: true, camera: true } });
    const still = await admin.next('mediaState');
    expect(still.mediaState.mic ?? false).toBe(false);
    expect(still.mediaState.micLocked).toBe(true);
    bob.sendMedia('locked-audio', { kind: TrackKind.AUDIO });
    await admin.expectNone('media', 100);
    admin.send({ moderation: { action: ModerationAction.ALLOW_MIC, target: bob.id } });
    expect((await bob.next('moderation')).moderation.action).toBe(ModerationAction.ALLOW_MIC);
    expect((await admin.next('mediaState')).mediaState.micLocked ?? false).toBe(false);
    bob.send({ mediaState: { mic: true, camera: true } });
    expect((await admin.next('mediaState')).mediaState.mic).toBe(true);
    bob.sendMedia('free-audio', { kind: TrackKind.AUDIO });
    await admin.nextMedia('free-audio');
  });

  it('a locked mute outlives a reconnect: the resumed participant is still muted', async () => {
    const admin = await joined('m7', 'admin', { admin: true });
    const bob = await TestClient.connect(relay.wsUrl, 'bob');
    clients.push(bob);
    const welcome = await bob.join('m7', 'bob', { token: await token('bob'), state: { mic: true } });
    await admin.next('peerJoined');
    admin.send({ moderation: { action: ModerationAction.MUTE_MIC, target: bob.id, lock: true } });
    await bob.next('moderation');
    await admin.next('mediaState');
    bob.terminate();
    const back = await TestClient.connect(relay.wsUrl, 'bob-back');
    clients.push(back);
    const resumed = await back.join('m7', 'bob', {
      token: await token('bob'),
      resumeToken: welcome.welcome.resumeToken ?? '',
      state: { mic: true },
    });
    expect(resumed.welcome.resumed).toBe(true);
    back.sendMedia('escaped', { kind: TrackKind.AUDIO });
    await admin.expectNone('media', 150);
    const states = admin.inbox.filter((e) => e.body === 'mediaState');
    expect(states.at(-1)?.mediaState?.micLocked).toBe(true);
  });

  it('mutes a camera (and screen share) at the relay', async () => {
    const admin = await joined('m3', 'admin', { admin: true });
    const bob = await joined('m3', 'bob');
    await admin.next('peerJoined');
    admin.send({ moderation: { action: ModerationAction.MUTE_CAMERA, target: bob.id } });
    await bob.next('moderation');
    expect((await admin.next('mediaState')).mediaState.camera ?? false).toBe(false);
    bob.sendMedia('v', { kind: TrackKind.VIDEO, keyframe: true });
    bob.sendMedia('s', { kind: TrackKind.SCREEN, keyframe: true });
    bob.sendMedia('a', { kind: TrackKind.AUDIO });
    await admin.nextMedia('a');
    await admin.expectNone('media', 100);
  });

  it('removes a participant (4021): others see it leave as removed; it cannot rejoin or resume', async () => {
    const admin = await joined('m4', 'admin', { admin: true });
    const bob = await joined('m4', 'bob');
    await admin.next('peerJoined');
    bob.send({ ping: { time: 1 } });
    const resumeToken = (await bob.next('pong')).pong.resumeToken ?? '';
    admin.send({ moderation: { action: ModerationAction.REMOVE, target: bob.id } });
    expect((await bob.next('error')).error).toMatchObject({ code: ErrorCode.Removed, fatal: true });
    expect(await bob.closed()).toEqual({ code: CloseCode.Removed, reason: ErrorCode.Removed });
    expect((await admin.next('peerLeft')).peerLeft).toMatchObject({ id: bob.id, reason: 'removed' });
    // The same token again: refused.
    const again = await TestClient.connect(relay.wsUrl, 'bob-again');
    clients.push(again);
    again.send({ join: again.joinMessage('m4', 'bob', { token: await token('bob'), resumeToken }) });
    expect((await again.next('error')).error.code).toBe(ErrorCode.Removed);
    expect(await again.closed()).toEqual({ code: CloseCode.Removed, reason: ErrorCode.Removed });
    // Another room is not affected.
    const elsewhere = await joined('m4-other', 'bob');
    expect(elsewhere.id).not.toBe('');
    expect(relay.stats().refused['removed']).toBe(1);
  });

  it('ends the meeting for everyone (4022), waiters too', async () => {
    const admin = await joined('m5', 'admin', { admin: true });
    const bob = await joined('m5', 'bob');
    const waiter = await TestClient.connect(relay.wsUrl, 'w');
    clients.push(waiter);
    waiter.send({ join: waiter.joinMessage('m5', 'w', { token: await token('w', { lobby: true }) }) });
    await waiter.next('lobbyWait');
    admin.send({ moderation: { action: ModerationAction.END_MEETING } });
    for (const c of [admin, bob, waiter]) {
      expect(await c.closed()).toEqual({ code: CloseCode.MeetingEnded, reason: ErrorCode.MeetingEnded });
    }
  });

  it('refuses moderation from a participant without admin, and changes nothing', async () => {
    const bob = await joined('m6', 'bob');
    const carol = await joined('m6', 'carol');
    await bob.next('peerJoined');
    for (const action of [ModerationAction.MUTE_MIC, ModerationAction.REMOVE, ModerationAction.END_MEETING]) {
      bob.send({ moderation: { action, target: carol.id } });
      expect((await bob.next('error')).error).toMatchObject({ code: ErrorCode.NotAllowed, fatal: false });
    }
    await carol.expectNone('moderation', 100);
    carol.sendMedia('still-here', { kind: TrackKind.AUDIO });
    await bob.nextMedia('still-here');
  });
});
