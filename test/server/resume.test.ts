import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, PROTOCOL_VERSION } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { resumeSecretOf, sleep, startTestRelay, TestClient } from './helpers.js';

// A participant whose connection dies comes back with the token from its Welcome
// (or a later Pong) and is the same participant: the others see nothing.
describe('resuming a participant after its connection died', () => {
  let relay: Relay;
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => (clients.push(c), c);
  const GRACE = 1500;

  beforeAll(async () => {
    relay = await startTestRelay({ resumeGraceMs: GRACE, maxRoomSize: 2 });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await relay.close();
  });

  async function pair(room: string): Promise<{ a: TestClient; b: TestClient; token: string }> {
    const a = track(await TestClient.connect(relay.wsUrl, 'a'));
    const welcome = await a.join(room, 'a');
    expect(welcome.welcome.resumed).toBe(false);
    const b = track(await TestClient.joined(relay, room, 'b'));
    await a.next('peerJoined');
    return { a, b, token: welcome.welcome.resumeToken ?? '' };
  }

  it('takes the same session id back within the grace period; the others see no leave or join, and media flows both ways', async () => {
    const { a, b, token } = await pair('resume-same');
    expect(token).not.toBe('');
    a.terminate(); // no close handshake: a dropped connection
    await sleep(300);
    const again = track(await TestClient.connect(relay.wsUrl, 'a'));
    const welcome = await again.join('resume-same', 'a', { resumeToken: token });
    expect(welcome.welcome).toMatchObject({ resumed: true, sessionId: a.id });
    expect(welcome.welcome.roster?.map((p) => p.id)).toEqual([b.id]);
    again.sendMedia('after');
    expect((await b.nextMedia('after')).from).toBe(a.id);
    b.sendMedia('back');
    expect((await again.nextMedia('back')).from).toBe(b.id);
    // Past the grace period: still nothing.
    await b.expectNone('peerLeft', GRACE + 300);
    await b.expectNone('peerJoined', 0);
    expect(relay.stats().participants).toBe(2);
  });

  it('tells the others it left (disconnected) once the grace period passes without a resume', async () => {
    const { a, b } = await pair('resume-never');
    const droppedAt = Date.now();
    a.terminate();
    const left = await b.next('peerLeft', GRACE + 2000);
    expect(left.peerLeft).toMatchObject({ id: a.id, reason: 'disconnected' });
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(GRACE - 50);
  });

  it('tells the others at once when a participant leaves on purpose', async () => {
    const { a, b } = await pair('resume-left');
    a.send({ leave: {} });
    expect((await b.next('peerLeft', 300)).peerLeft).toMatchObject({ id: a.id, reason: 'left' });
  });

  it('joins afresh (new id, resumed false) with a token that is garbage, forged or for another room, and counts each', async () => {
    const { a, token } = await pair('resume-bad');
    const parts = token.split('.');
    const id = parts[2];
    const forged = parts.map((p, i) => (i === 2 ? 'someoneElse1' : p)).join('.');
    const cases = ['garbage', forged, token];
    const rooms = ['resume-bad2', 'resume-bad2', 'resume-other'];
    for (const [i, resumeToken] of cases.entries()) {
      const c = track(await TestClient.connect(relay.wsUrl));
      const welcome = await c.join(rooms[i]!, 'c', { resumeToken });
      expect(welcome.welcome.resumed).toBe(false);
      expect(welcome.welcome.sessionId).not.toBe(id);
      expect(welcome.welcome.sessionId).not.toBe(a.id);
      c.close();
    }
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    for (const outcome of ['rejected-malformed', 'rejected-bad-signature', 'rejected-other-room']) {
      expect(metrics).toMatch(new RegExp(`videocall_resumes_total\\{outcome="${outcome}"\\} [1-9]`));
    }
  });

  it('closes a connection of the participant still open when it resumes on another (session-replaced), and the others see nothing', async () => {
    const { a, b, token } = await pair('resume-replace');
    const again = track(await TestClient.connect(relay.wsUrl, 'a'));
    const welcome = await again.join('resume-replace', 'a', { resumeToken: token });
    expect(welcome.welcome).toMatchObject({ resumed: true, sessionId: a.id });
    expect((await a.next('error')).error).toMatchObject({ code: ErrorCode.SessionReplaced, fatal: true });
    expect(await a.closed()).toMatchObject({ code: CloseCode.SessionReplaced });
    // The room was full (2) and still admits its own participant back.
    again.sendMedia('new-link');
    expect((await b.nextMedia('new-link')).from).toBe(a.id);
    await b.expectNone('peerLeft', 300);
    await b.expectNone('peerJoined', 0);
    expect(relay.stats().participants).toBe(2);
  });

  it('moves a participant to its new connection quietly on a transport upgrade: the old one closes as transport-upgrade without an error, the others see nothing', async () => {
    const { a, b, token } = await pair('resume-upgrade');
    const again = track(await TestClient.connect(relay.wsUrl, 'a'));
    const welcome = await again.join('resume-upgrade', 'a', { resumeToken: token, transportUpgrade: true });
    expect(welcome.welcome).toMatchObject({ resumed: true, sessionId: a.id });
    expect(await a.closed()).toMatchObject({ code: CloseCode.TransportUpgrade, reason: ErrorCode.TransportUpgrade });
    await a.expectNone('error', 0);
    again.sendMedia('upgraded');
    expect((await b.nextMedia('upgraded')).from).toBe(a.id);
    b.sendMedia('to-upgraded');
    expect((await again.nextMedia('to-upgraded')).from).toBe(b.id);
    await b.expectNone('peerLeft', 300);
    await b.expectNone('peerJoined', 0);
    expect(relay.stats().participants).toBe(2);
  });

  it('refuses a transport upgrade whose token is not honoured instead of admitting a new participant', async () => {
    const { a, b } = await pair('resume-upgrade-bad');
    const c = track(await TestClient.connect(relay.wsUrl));
    c.send({
      join: {
        protocolVersion: PROTOCOL_VERSION,
        room: 'resume-upgrade-bad',
        name: 'c',
        resumeToken: 'garbage',
        transportUpgrade: true,
      },
    });
    expect((await c.next('error')).error).toMatchObject({ code: ErrorCode.UpgradeRefused, fatal: true });
    expect(await c.closed()).toMatchObject({ code: CloseCode.UpgradeRefused });
    await b.expectNone('peerJoined', 300);
    await a.expectNone('error', 0);
    expect(relay.stats().participants).toBe(2);
  });

  it('hands out a fresh token in every Pong, which resumes as well', async () => {
    const { a, b } = await pair('resume-pong');
    a.send({ ping: { time: Date.now() } });
    const token = (await a.next('pong')).pong.resumeToken ?? '';
    expect(token).toMatch(/^r2\.resume-pong\./);
    a.terminate();
    const again = track(await TestClient.connect(relay.wsUrl, 'a'));
    expect((await again.join('resume-pong', 'a', { resumeToken: token })).welcome).toMatchObject({
      resumed: true,
      sessionId: a.id,
    });
    await b.expectNone('peerLeft', 300);
  });

  it('lets the last participant of a room resume: the room is kept while it is held', async () => {
    const a = track(await TestClient.connect(relay.wsUrl, 'a'));
    const token = (await a.join('resume-alone', 'a')).welcome.resumeToken ?? '';
    a.terminate();
    await sleep(200);
    expect(relay.stats().rooms).toBeGreaterThanOrEqual(1);
    const again = track(await TestClient.connect(relay.wsUrl, 'a'));
    expect((await again.join('resume-alone', 'a', { resumeToken: token })).welcome).toMatchObject({
      resumed: true,
      sessionId: a.id,
    });
  });
});

// What a thief can do with a resume token it got hold of (from a log, a proxy, a
// shoulder): nothing without the secret only the page has, and nothing once spent.
describe('a resume token that was stolen', () => {
  let relay: Relay;
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => (clients.push(c), c);

  beforeAll(async () => {
    relay = await startTestRelay({ resumeGraceMs: 1500 });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await relay.close();
  });

  async function pair(room: string): Promise<{ a: TestClient; b: TestClient; token: string }> {
    const a = track(await TestClient.connect(relay.wsUrl, 'a'));
    const token = (await a.join(room, 'a')).welcome.resumeToken ?? '';
    const b = track(await TestClient.joined(relay, room, 'b'));
    await a.next('peerJoined');
    return { a, b, token };
  }

  it('is useless without the secret: the thief joins as someone new, the victim keeps its call', async () => {
    const { a, b, token } = await pair('theft-proof');
    for (const resumeProof of [new Uint8Array(0), new Uint8Array(32).fill(7)]) {
      const thief = track(await TestClient.connect(relay.wsUrl, 'thief'));
      const welcome = await thief.join('theft-proof', 'a', { resumeToken: token, resumeProof });
      expect(welcome.welcome.resumed).toBe(false);
      expect(welcome.welcome.sessionId).not.toBe(a.id);
      thief.close();
    }
    expect(relay.stats().resumes['rejected-bad-proof']).toBe(2);
    expect(a.isOpen).toBe(true);
    a.sendMedia('still-mine');
    expect((await b.nextMedia('still-mine')).from).toBe(a.id);
  });

  it('works once: the same resume replayed (token and secret) is refused, and the resumed page is not replaced', async () => {
    const { a, token } = await pair('theft-replay');
    const proof = resumeSecretOf(token)!;
    a.terminate();
    const back = track(await TestClient.connect(relay.wsUrl, 'a'));
    expect((await back.join('theft-replay', 'a', { resumeToken: token })).welcome.resumed).toBe(true);
    const replay = track(await TestClient.connect(relay.wsUrl, 'replay'));
    const welcome = await replay.join('theft-replay', 'a', { resumeToken: token, resumeProof: proof });
    expect(welcome.welcome).toMatchObject({ resumed: false });
    expect(welcome.welcome.sessionId).not.toBe(a.id);
    expect(relay.stats().resumes['rejected-spent']).toBe(1);
    await back.expectNone('error', 100);
    expect(back.isOpen).toBe(true);
  });

  it('spends every older token too, and the page resumes again with the fresh one from its Welcome', async () => {
    const { a } = await pair('theft-older');
    a.send({ ping: { time: 1 } });
    const older = (await a.next('pong')).pong.resumeToken ?? '';
    a.terminate();
    const back = track(await TestClient.connect(relay.wsUrl, 'a'));
    const welcome = await back.join('theft-older', 'a', { resumeToken: older });
    expect(welcome.welcome.resumed).toBe(true);
    back.terminate();
    const olderAgain = track(await TestClient.connect(relay.wsUrl, 'a'));
    expect((await olderAgain.join('theft-older', 'a', { resumeToken: older })).welcome.resumed).toBe(false);
    olderAgain.close();
    const fresh = welcome.welcome.resumeToken ?? '';
    const third = track(await TestClient.connect(relay.wsUrl, 'a'));
    expect((await third.join('theft-older', 'a', { resumeToken: fresh })).welcome).toMatchObject({
      resumed: true,
      sessionId: a.id,
    });
  });

  it('is dead once its participant left, even with the secret', async () => {
    const { a, b, token } = await pair('theft-left');
    a.send({ leave: {} });
    await b.next('peerLeft');
    const thief = track(await TestClient.connect(relay.wsUrl, 'thief'));
    const welcome = await thief.join('theft-left', 'a', { resumeToken: token });
    expect(welcome.welcome.resumed).toBe(false);
    expect(welcome.welcome.sessionId).not.toBe(a.id);
    expect(relay.stats().resumes['rejected-left']).toBe(1);
  });

  it('is not handed out to a client that committed to no secret (it could only be stolen)', async () => {
    const c = track(await TestClient.connect(relay.wsUrl, 'old'));
    const welcome = await c.join('theft-nokey', 'old', { resumeKey: new Uint8Array(0) });
    expect(welcome.welcome.resumeToken ?? '').toBe('');
  });
});

describe('a relay without a grace period', () => {
  it('tells the others at once that a dropped participant left', async () => {
    const relay = await startTestRelay({ resumeGraceMs: 0 });
    try {
      const a = await TestClient.joined(relay, 'r', 'a');
      const b = await TestClient.joined(relay, 'r', 'b');
      await a.next('peerJoined');
      a.terminate();
      expect((await b.next('peerLeft', 300)).peerLeft).toMatchObject({ id: a.id, reason: 'disconnected' });
      b.close();
    } finally {
      await relay.close();
    }
  });
});
