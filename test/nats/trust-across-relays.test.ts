import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, ModerationAction, TrackKind } from '../../src/protocol/index.js';
import { BusConnectError } from '../../server/bus/nats-bus.js';
import { startRelay } from '../../server/relay.js';
import { TestClient, waitFor } from '../server/helpers.js';
import { startClusterRelay, waitForNodes, type ClusterRelay } from './helpers.js';
import { freePorts, hasNatsServer, killOnExit, NATS_SERVER, NatsCluster, stopProcess } from './nats-cluster.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);
const nowS = (): number => Math.floor(Date.now() / 1000);
const token = (sub: string, grants?: JWTPayload['grants']): Promise<string> =>
  new SignJWT({ room: '*', sub, exp: nowS() + 3600, ...(grants ? { grants } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(key);

describe.skipIf(!hasNatsServer())('lobby and moderation across two relays of a NATS cluster', () => {
  let nats: NatsCluster | undefined;
  let relays: ClusterRelay[] = [];
  const clients: TestClient[] = [];
  const connect = async (relay: number, label: string): Promise<TestClient> => {
    const c = await TestClient.connect(relays[relay]!.wsUrl, label);
    clients.push(c);
    return c;
  };
  const joined = async (relay: number, room: string, sub: string, grants?: JWTPayload['grants']) => {
    const c = await connect(relay, sub);
    await c.join(room, sub, { token: await token(sub, grants) });
    return c;
  };

  beforeAll(async () => {
    nats = await NatsCluster.start({ size: 2 });
    const options = { auth: { secret: SECRET }, resumeSecret: 'shared-resume-secret-for-tests' };
    relays = await Promise.all([0, 1].map((i) => startClusterRelay([nats!.urls[i]!], options)));
    await waitForNodes(relays, 2);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(relays.map((r) => r.close()));
    await nats?.stop();
  });

  it('an admin on one relay sees who knocks on the other, admits one and denies another', async () => {
    const admin = await joined(0, 'x1', 'admin', { admin: true });
    const bob = await connect(1, 'bob');
    bob.send({ join: bob.joinMessage('x1', 'bob', { token: await token('bob', { lobby: true }) }) });
    await bob.next('lobbyWait');
    await waitFor(() => admin.inbox.some((e) => (e.knock?.waiting ?? []).some((p) => p.identity === 'bob')), 3000);
    const bobId = admin.inbox.find((e) => e.knock?.waiting?.length)!.knock!.waiting![0]!.id!;
    admin.send({ admission: { id: bobId, admit: true } });
    const welcome = await bob.next('welcome', 3000);
    expect(welcome.welcome.roster?.map((p) => p.identity)).toEqual(['admin']);
    admin.sendMedia('hello-bob', { kind: TrackKind.AUDIO });
    await bob.nextMedia('hello-bob', 3000);

    const eve = await connect(1, 'eve');
    eve.send({ join: eve.joinMessage('x1', 'eve', { token: await token('eve', { lobby: true }) }) });
    await eve.next('lobbyWait');
    await waitFor(() => admin.inbox.some((e) => (e.knock?.waiting ?? []).some((p) => p.identity === 'eve')), 3000);
    const eveId = [...admin.inbox].reverse().find((e) => e.knock?.waiting?.length)!.knock!.waiting![0]!.id!;
    admin.send({ admission: { id: eveId, admit: false } });
    expect(await eve.closed(3000)).toEqual({ code: CloseCode.AdmissionDenied, reason: ErrorCode.AdmissionDenied });
  });

  it('a removed participant closes at once on the other relay, and cannot rejoin on either', async () => {
    const admin = await joined(0, 'x2', 'admin', { admin: true });
    const bob = await joined(1, 'x2', 'bob');
    await admin.next('peerJoined', 3000);
    admin.send({ moderation: { action: ModerationAction.MUTE_MIC, target: bob.id, lock: true } });
    expect((await bob.next('moderation', 3000)).moderation.lock).toBe(true);
    expect((await admin.next('mediaState', 3000)).mediaState.micLocked).toBe(true);
    admin.send({ moderation: { action: ModerationAction.REMOVE, target: bob.id } });
    expect(await bob.closed(3000)).toEqual({ code: CloseCode.Removed, reason: ErrorCode.Removed });
    expect((await admin.next('peerLeft', 3000)).peerLeft.reason).toBe('removed');
    for (const relay of [0, 1]) {
      const again = await connect(relay, `bob-again-${relay}`);
      again.send({ join: again.joinMessage('x2', 'bob', { token: await token('bob') }) });
      expect(await again.closed(3000)).toEqual({ code: CloseCode.Removed, reason: ErrorCode.Removed });
    }
  });

  it('locking on one relay sends joiners on the other to the lobby; ending closes everyone on both', async () => {
    const admin = await joined(0, 'x3', 'admin', { admin: true });
    const carol = await joined(1, 'x3', 'carol');
    admin.send({ moderation: { action: ModerationAction.LOCK_ROOM } });
    expect((await carol.next('moderation', 3000)).moderation.action).toBe(ModerationAction.LOCK_ROOM);
    const dan = await connect(1, 'dan');
    dan.send({ join: dan.joinMessage('x3', 'dan', { token: await token('dan') }) });
    expect((await dan.next('lobbyWait', 3000)).lobbyWait.locked).toBe(true);
    admin.send({ moderation: { action: ModerationAction.END_MEETING } });
    for (const c of [admin, carol, dan]) {
      expect(await c.closed(3000)).toEqual({ code: CloseCode.MeetingEnded, reason: ErrorCode.MeetingEnded });
    }
  });
});

describe.skipIf(!hasNatsServer())('NATS credentials', () => {
  let server: ChildProcess | undefined;
  let dir = '';
  let url = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vc-nats-auth-'));
    const [port] = await freePorts(1);
    url = `nats://127.0.0.1:${port}`;
    const config = join(dir, 'auth.conf');
    writeFileSync(
      config,
      [
        `listen: 127.0.0.1:${port}`,
        'authorization {',
        '  users: [',
        '    { user: relay, password: "right-password", permissions: { publish: ["room.>", "relay.>"], subscribe: ["room.>", "relay.>"] } }',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
    server = spawn(NATS_SERVER, ['-c', config], { stdio: 'ignore' });
    killOnExit(server);
    // Up once it accepts a TCP connection.
    const deadline = Date.now() + 5000;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = tcpConnect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (ok) break;
      if (Date.now() > deadline) throw new Error('nats-server with authorization did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    if (server) await stopProcess(server, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const relayOn = (natsAuth: { user?: string; pass?: string; token?: string }) =>
    startRelay({
      port: 0,
      host: '127.0.0.1',
      natsUrl: url,
      natsAuth,
      webTransport: { enabled: false },
      demoDir: dir,
      distDir: dir,
    });

  it('a relay with the right user and password runs (with the documented subject permissions)', async () => {
    const relay = await relayOn({ user: 'relay', pass: 'right-password' });
    try {
      const a = await TestClient.joined(relay, 'auth', 'a');
      expect(relay.stats().bus).toMatchObject({ kind: 'nats', connected: true });
      a.close();
    } finally {
      await relay.close();
    }
  });

  it('a relay with wrong credentials, or none, fails at start with a clear error', async () => {
    for (const natsAuth of [{ user: 'relay', pass: 'wrong' }, {}, { token: 'nope' }]) {
      const failure = await relayOn(natsAuth).then(
        async (relay) => {
          await relay.close();
          return undefined;
        },
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(BusConnectError);
      expect((failure as Error).message).toMatch(/refused the relay's credentials/);
    }
  });
});
