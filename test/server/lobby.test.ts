import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, ModerationAction, TrackKind } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { sleep, startTestRelay, TestClient, waitFor } from './helpers.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);
const nowS = (): number => Math.floor(Date.now() / 1000);

function token(sub: string, grants: JWTPayload['grants'] = undefined): Promise<string> {
  return new SignJWT({ room: '*', sub, exp: nowS() + 3600, ...(grants ? { grants } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(key);
}

describe('lobby: rooms that admit by hand', () => {
  let relay: Relay;
  const clients: TestClient[] = [];
  const connect = async (label: string): Promise<TestClient> => {
    const c = await TestClient.connect(relay.wsUrl, label);
    clients.push(c);
    return c;
  };
  const joined = async (room: string, sub: string, grants?: JWTPayload['grants']): Promise<TestClient> => {
    const c = await connect(sub);
    await c.join(room, sub, { token: await token(sub, grants) });
    return c;
  };
  /** Connects and sends Join; the Welcome may not come (the lobby). */
  const knock = async (room: string, sub: string, grants?: JWTPayload['grants']): Promise<TestClient> => {
    const c = await connect(sub);
    c.send({ join: c.joinMessage(room, sub, { token: await token(sub, grants) }) });
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

  it('keeps a waiter out of everything until an admin admits it: no roster, no media, no presence', async () => {
    const admin = await joined('l1', 'admin', { admin: true });
    const carol = await joined('l1', 'carol');
    const bob = await knock('l1', 'bob', { lobby: true });
    const wait = await bob.next('lobbyWait');
    expect(wait.lobbyWait.locked ?? false).toBe(false);
    const knocked = await admin.next('knock');
    expect(knocked.knock.waiting?.map((p) => p.identity)).toEqual(['bob']);
    const bobId = knocked.knock.waiting![0]!.id!;
    // Carol (not an admin) hears nothing of the lobby.
    await carol.expectNone('knock', 50);

    // The meeting goes on: media, state, a join; the waiter receives none of it.
    const bytesBefore = bob.sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < 20; i++) carol.sendMedia(`c${i}`, { kind: i % 2 ? TrackKind.AUDIO : TrackKind.VIDEO }, 500);
    carol.send({ mediaState: { mic: true, camera: true } });
    const dave = await joined('l1', 'dave');
    await carol.next('peerJoined');
    await admin.nextMedia('c19');
    await sleep(100);
    expect(bob.inbox.filter((e) => e.body !== 'pong').map((e) => e.body)).toEqual([]);
    expect(bob.sizes.reduce((a, b) => a + b, 0)).toBe(bytesBefore);
    // Nor can it send to the room.
    bob.sendMedia('sneak', { kind: TrackKind.AUDIO });
    expect((await bob.next('error')).error.code).toBe(ErrorCode.NotJoined);
    await carol.expectNone('media', 100, (e) => e.from === bobId);

    // A non-admin can't let it in.
    carol.send({ admission: { id: bobId, admit: true } });
    expect((await carol.next('error')).error.code).toBe(ErrorCode.NotAllowed);
    await bob.expectNone('welcome', 50);

    admin.send({ admission: { id: bobId, admit: true } });
    const welcome = await bob.next('welcome');
    expect(welcome.welcome.sessionId).toBe(bobId);
    expect(welcome.welcome.roster?.map((p) => p.identity).sort()).toEqual(['admin', 'carol', 'dave']);
    expect((await carol.next('peerJoined')).peerJoined.participant?.identity).toBe('bob');
    expect((await admin.next('knock')).knock.waiting ?? []).toEqual([]);
    carol.sendMedia('after', { kind: TrackKind.AUDIO });
    await bob.nextMedia('after');
    await dave.nextMedia('after');
  });

  it('turns a denied waiter away with admission-denied (4020); a waiter that leaves drops off the list', async () => {
    const admin = await joined('l2', 'admin', { admin: true });
    const eve = await knock('l2', 'eve', { lobby: true });
    await eve.next('lobbyWait');
    const first = await admin.next('knock');
    const frank = await knock('l2', 'frank', { lobby: true });
    await frank.next('lobbyWait');
    expect((await admin.next('knock')).knock.waiting).toHaveLength(2);
    frank.close();
    expect((await admin.next('knock')).knock.waiting?.map((p) => p.identity)).toEqual(['eve']);
    admin.send({ admission: { id: first.knock.waiting![0]!.id, admit: false } });
    expect((await eve.next('error')).error).toMatchObject({ code: ErrorCode.AdmissionDenied, fatal: true });
    expect(await eve.closed()).toEqual({ code: CloseCode.AdmissionDenied, reason: ErrorCode.AdmissionDenied });
    expect((await admin.next('knock')).knock.waiting ?? []).toEqual([]);
    // An id nobody waits under: unknown-peer, nothing else.
    admin.send({ admission: { id: 'nobody', admit: true } });
    expect((await admin.next('error')).error.code).toBe(ErrorCode.UnknownPeer);
  });

  it('an admin who joins later sees who already waits; admins never wait', async () => {
    const gina = await knock('l3', 'gina', { lobby: true });
    await gina.next('lobbyWait');
    const admin = await connect('admin');
    const welcome = await admin.join('l3', 'admin', { token: await token('admin', { admin: true, lobby: true }) });
    expect(welcome.welcome.admin).toBe(true);
    expect((await admin.next('knock')).knock.waiting?.map((p) => p.identity)).toEqual(['gina']);
  });

  it('a locked room sends every new joiner without admin to the lobby; unlocked, they go straight in', async () => {
    const admin = await joined('l4', 'admin', { admin: true });
    const carol = await joined('l4', 'carol');
    carol.send({ moderation: { action: ModerationAction.LOCK_ROOM } });
    expect((await carol.next('error')).error.code).toBe(ErrorCode.NotAllowed);
    admin.send({ moderation: { action: ModerationAction.LOCK_ROOM } });
    const told = await carol.next('moderation');
    expect(told.moderation.action).toBe(ModerationAction.LOCK_ROOM);
    expect(told.from).toBe(admin.id);
    const hal = await knock('l4', 'hal');
    expect((await hal.next('lobbyWait')).lobbyWait.locked).toBe(true);
    admin.send({ moderation: { action: ModerationAction.UNLOCK_ROOM } });
    await carol.next('moderation');
    const ivy = await joined('l4', 'ivy');
    expect(ivy.id).not.toBe('');
    // Unlocking lets nobody in by itself: the waiter still waits for a decision.
    await hal.expectNone('welcome', 50);
  });
});

describe('lobby for every room (LOBBY=on) and its size limit', () => {
  let relay: Relay;
  afterAll(async () => {
    await relay?.close();
  });

  it('refuses joiners beyond maxLobbySize with lobby-full (4023)', async () => {
    relay = await startTestRelay({ auth: { secret: SECRET }, lobby: true, maxLobbySize: 2 });
    const waiters: TestClient[] = [];
    for (const sub of ['a', 'b']) {
      const c = await TestClient.connect(relay.wsUrl, sub);
      c.send({ join: c.joinMessage('big', sub, { token: await token(sub) }) });
      await c.next('lobbyWait');
      waiters.push(c);
    }
    const third = await TestClient.connect(relay.wsUrl, 'c');
    third.send({ join: third.joinMessage('big', 'c', { token: await token('c') }) });
    expect(await third.closed()).toEqual({ code: CloseCode.LobbyFull, reason: ErrorCode.LobbyFull });
    await waitFor(() => relay.stats().refused['lobby-full'] === 1);
    for (const c of waiters) c.close();
  });
});
