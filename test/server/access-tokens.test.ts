import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, TrackKind } from '../../src/protocol/index.js';
import { AccessTokens } from '../../server/access-tokens.js';
import type { Relay } from '../../server/relay.js';
import { sleep, startTestRelay, TestClient, waitFor } from './helpers.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const secretKey = new TextEncoder().encode(SECRET);
const nowS = (): number => Math.floor(Date.now() / 1000);

/** An HS256 token under {@link SECRET}: room `*`, one hour, unless `claims` say otherwise. */
function token(claims: JWTPayload = {}, key: Uint8Array = secretKey): Promise<string> {
  return new SignJWT({ room: '*', sub: 'user-1', exp: nowS() + 3600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(key);
}

describe('AccessTokens (the token check on its own)', () => {
  it('accepts ES256 and EdDSA tokens under a PEM public key, and under a JWKS', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const jwt = await new SignJWT({ room: 'r', sub: 'ada', name: 'Ada', exp: nowS() + 60 })
        .setProtectedHeader({ alg })
        .sign(privateKey);
      const pem = AccessTokens.fromOptions({ publicKey: await exportSPKI(publicKey) });
      expect(await pem.verify(jwt, 'r')).toMatchObject({ identity: 'ada', name: 'Ada' });
      const jwks = AccessTokens.fromOptions({ publicKey: { keys: [{ ...(await exportJWK(publicKey)), alg }] } });
      expect(jwks.keyKind).toBe('jwks');
      expect((await jwks.verify(jwt, 'r')).identity).toBe('ada');
      // The algorithm is pinned to the key: an HS256 token signed with some secret is refused.
      await expect(pem.verify(await token(), 'r')).rejects.toMatchObject({ code: ErrorCode.TokenInvalid });
    }
  });

  it('refuses unusable keys at start', () => {
    expect(() => AccessTokens.fromOptions({ secret: 'short' })).toThrow(/32 bytes/);
    expect(() => AccessTokens.fromOptions({ publicKey: 'not a key' })).toThrow(/PEM/);
    expect(() => AccessTokens.fromOptions({ publicKey: '{"keys":[]}' })).toThrow(/JWKS/);
    expect(AccessTokens.fromOptions(undefined).required).toBe(false);
  });

  it('reads grants: defaults, publish lists, hidden publishes nothing; refuses malformed grants', async () => {
    const tokens = AccessTokens.fromOptions({ secret: SECRET });
    const all = (await tokens.verify(await token(), 'r')).grants;
    expect([...all.publish].sort()).toEqual(['audio', 'screen', 'video']);
    expect(all).toMatchObject({ subscribe: true, chat: true, admin: false, hidden: false });
    const audio = (await tokens.verify(await token({ grants: { publish: ['audio'], admin: true } }), 'r')).grants;
    expect([...audio.publish]).toEqual(['audio']);
    expect(audio.admin).toBe(true);
    const hidden = (await tokens.verify(await token({ grants: { hidden: true } }), 'r')).grants;
    expect(hidden.publish.size).toBe(0);
    for (const grants of [{ publish: ['smell'] }, { subscribe: 'yes' }, ['publish']]) {
      await expect(tokens.verify(await token({ grants }), 'r')).rejects.toMatchObject({
        code: ErrorCode.TokenInvalid,
      });
    }
  });
});

describe('npx videocall-token', () => {
  const bin = join(import.meta.dirname, '../../bin/videocall-token.mjs');
  const mint = (args: string[], env: NodeJS.ProcessEnv = {}): string =>
    execFileSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim();

  it('mints HS256 tokens (AUTH_SECRET) and ES256 tokens (--key) the relay accepts, with the grants asked for', async () => {
    const hs = mint(['--room', 'r', '--sub', 'ada', '--name', 'Ada', '--publish', 'audio,screen', '--admin'], {
      AUTH_SECRET: SECRET,
    });
    const access = await AccessTokens.fromOptions({ secret: SECRET }).verify(hs, 'r');
    expect(access).toMatchObject({ identity: 'ada', name: 'Ada' });
    expect([...access.grants.publish].sort()).toEqual(['audio', 'screen']);
    expect(access.grants.admin).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'vc-token-'));
    try {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const es = mint(['--room', '*', '--sub', 'bot', '--hidden', '--ttl', '60', '--key', join(dir, 'key.pem')]);
      const tokens = AccessTokens.fromOptions({
        publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
      });
      const bot = await tokens.verify(es, 'any-room');
      expect(bot.grants.hidden).toBe(true);
      expect(bot.expiresAt! - Date.now()).toBeLessThanOrEqual(60_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to mint without the required claims', () => {
    expect(() => mint(['--sub', 'x'], { AUTH_SECRET: SECRET })).toThrow();
  });
});

describe('a relay that requires access tokens', () => {
  let relay: Relay;
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => (clients.push(c), c);

  beforeAll(async () => {
    relay = await startTestRelay({ auth: { secret: SECRET } });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await relay.close();
  });

  async function joinWith(room: string, jwt: string, name = 'ignored'): Promise<TestClient> {
    const c = track(await TestClient.connect(relay.wsUrl, name));
    await c.join(room, name, { token: jwt });
    return c;
  }

  async function refused(room: string, jwt: string): Promise<{ code: string; close: number }> {
    const c = track(await TestClient.connect(relay.wsUrl));
    c.send({ join: { protocolVersion: 1, room, name: 'x', token: jwt } });
    const error = await c.next('error');
    const closed = await c.closed();
    expect(error.error.fatal).toBe(true);
    expect(closed.reason).toBe(error.error.code);
    return { code: error.error.code ?? '', close: closed.code };
  }

  it('refuses each bad token with its own error code and close code, and counts it', async () => {
    const other = new TextEncoder().encode('another-secret-that-is-32-bytes-long!!');
    const cases: [string, Promise<string> | string, string, number][] = [
      ['no token', '', ErrorCode.TokenMissing, CloseCode.TokenMissing],
      ['garbage', 'not.a.jwt', ErrorCode.TokenInvalid, CloseCode.TokenInvalid],
      ['bad signature', token({}, other), ErrorCode.TokenInvalid, CloseCode.TokenInvalid],
      ['expired', token({ exp: nowS() - 60 }), ErrorCode.TokenExpired, CloseCode.TokenExpired],
      ['not yet valid', token({ nbf: nowS() + 600 }), ErrorCode.TokenInvalid, CloseCode.TokenInvalid],
      ['other room', token({ room: 'elsewhere' }), ErrorCode.TokenWrongRoom, CloseCode.TokenWrongRoom],
      ['no exp', token({ exp: undefined }), ErrorCode.TokenInvalid, CloseCode.TokenInvalid],
    ];
    for (const [what, jwt, code, close] of cases) {
      expect({ what, ...(await refused('guarded', await jwt)) }).toEqual({ what, code, close });
    }
    const counted = relay.stats().refused;
    expect(counted[ErrorCode.TokenMissing]).toBe(1);
    expect(counted[ErrorCode.TokenInvalid]).toBe(4);
  });

  it('lets a valid token in; what others see is the token identity and name, whatever the client wrote', async () => {
    const a = await joinWith('idroom', await token({ room: 'idroom', sub: 'ada@site', name: 'Ada' }), 'Mallory');
    const b = await joinWith('idroom', await token({ sub: 'bob@site' }), 'Also Mallory');
    const joined = await a.next('peerJoined');
    expect(joined.peerJoined.participant).toMatchObject({ id: b.id, name: 'bob@site', identity: 'bob@site' });
    // b's Welcome listed a under its token's name.
    const c = track(await TestClient.connect(relay.wsUrl, 'carol'));
    const welcome = await c.join('idroom', 'Not Carol', { token: await token({ sub: 'carol' }) });
    expect(welcome.welcome.roster?.map((p) => [p.name, p.identity])).toEqual([
      ['Ada', 'ada@site'],
      ['bob@site', 'bob@site'],
    ]);
    expect((await b.next('peerJoined')).peerJoined.participant).toMatchObject({ name: 'carol', identity: 'carol' });
    // The `from` of a forwarded message is always the relay's stamp, never the client's.
    a.send({ from: b.id, media: { kind: TrackKind.VIDEO, payload: new TextEncoder().encode('forged') } });
    expect((await b.nextMedia('forged')).from).toBe(a.id);
  });

  it("drops (and counts) a subscribe-only participant's frames; the others keep receiving from publishers", async () => {
    const pub = await joinWith('grants', await token({ sub: 'pub' }));
    const viewer = await joinWith('grants', await token({ sub: 'viewer', grants: { publish: false } }));
    const audioOnly = await joinWith('grants', await token({ sub: 'aud', grants: { publish: ['audio'] } }));
    const before = relay.stats().dropped['not-granted'] ?? 0;
    viewer.sendMedia('from-viewer');
    viewer.sendMedia('from-viewer-audio', { kind: TrackKind.AUDIO });
    audioOnly.sendMedia('aud-video');
    audioOnly.sendMedia('aud-audio', { kind: TrackKind.AUDIO });
    pub.sendMedia('from-pub');
    expect((await viewer.nextMedia('from-pub')).from).toBe(pub.id);
    expect((await pub.nextMedia('aud-audio')).from).toBe(audioOnly.id);
    await pub.expectNone('media', 200, (e) => e.from === viewer.id);
    await pub.expectNone('media', 0, (e) => e.from === audioOnly.id && e.media?.kind === TrackKind.VIDEO);
    expect((relay.stats().dropped['not-granted'] ?? 0) - before).toBe(3);
    // Told once per kind, not fatal: the viewer is still in the call.
    const notAllowed = await viewer.next('error');
    expect(notAllowed.error).toMatchObject({ code: ErrorCode.NotAllowed, fatal: false });
    viewer.sendMedia('again');
    await sleep(100);
    expect(viewer.inbox.filter((e) => e.body === 'error')).toHaveLength(1);
    expect(viewer.isOpen).toBe(true);
    // A media state claiming a camera without the grant is announced without it.
    audioOnly.send({ mediaState: { mic: true, camera: true } });
    const state = await pub.next('mediaState');
    expect(state.mediaState).toMatchObject({ mic: true });
    expect(state.mediaState.camera).toBeFalsy();
  });

  it('delivers no media to a participant without `subscribe`', async () => {
    const pub = await joinWith('nosub', await token({ sub: 'pub' }));
    const deaf = await joinWith('nosub', await token({ sub: 'deaf', grants: { subscribe: false } }));
    const other = await joinWith('nosub', await token({ sub: 'other' }));
    pub.sendMedia('to-all');
    await other.nextMedia('to-all');
    await deaf.expectNone('media', 150);
  });

  it('keeps a hidden participant (a recorder) out of every roster while it receives the call', async () => {
    const a = await joinWith('hidden', await token({ sub: 'a' }));
    const recorder = track(await TestClient.connect(relay.wsUrl, 'rec'));
    const welcome = await recorder.join('hidden', 'rec', {
      token: await token({ sub: 'rec', grants: { hidden: true } }),
    });
    expect(welcome.welcome.roster?.map((p) => p.id)).toEqual([a.id]);
    const b = await joinWith('hidden', await token({ sub: 'b' }));
    a.sendMedia('for-recorder');
    await recorder.nextMedia('for-recorder');
    expect((await recorder.next('peerJoined')).peerJoined.participant?.id).toBe(b.id);
    await a.expectNone('peerJoined', 100, (e) => e.peerJoined?.participant?.id === recorder.id);
    recorder.close();
    await a.expectNone('peerLeft', 400);
  });

  it('ends the call when the token expires: the client is told, the others see it leave at once', async () => {
    const a = await joinWith('expiry', await token({ sub: 'a' }));
    const b = await joinWith('expiry', await token({ sub: 'b', exp: nowS() + 1 }));
    await a.next('peerJoined');
    const error = await b.next('error', 3000);
    expect(error.error).toMatchObject({ code: ErrorCode.TokenExpired, fatal: true });
    expect(await b.closed()).toEqual({ code: CloseCode.TokenExpired, reason: ErrorCode.TokenExpired });
    expect((await a.next('peerLeft')).peerLeft).toMatchObject({ id: b.id, reason: 'expired' });
  });

  it('checks a resume against the access token: same identity, room and a token still valid', async () => {
    const a = await joinWith('resume-auth', await token({ sub: 'a' }));
    a.send({ ping: { time: 1 } });
    const resumeToken = (await a.next('pong')).pong.resumeToken ?? '';
    a.terminate();
    // Someone else's access token with a's resume token (and even a's secret): a fresh join as themselves.
    const other = track(await TestClient.connect(relay.wsUrl, 'other'));
    const w = await other.join('resume-auth', 'x', { token: await token({ sub: 'eve' }), resumeToken });
    expect(w.welcome.resumed).toBe(false);
    expect(relay.stats().resumes['rejected-other-identity']).toBe(1);
    // An expired access token is refused before any resume.
    const late = track(await TestClient.connect(relay.wsUrl, 'late'));
    late.send({
      join: late.joinMessage('resume-auth', 'a', { token: await token({ sub: 'a', exp: nowS() - 60 }), resumeToken }),
    });
    expect((await late.next('error')).error.code).toBe(ErrorCode.TokenExpired);
    // The right identity resumes.
    const back = track(await TestClient.connect(relay.wsUrl, 'a'));
    expect(
      (await back.join('resume-auth', 'a', { token: await token({ sub: 'a' }), resumeToken })).welcome,
    ).toMatchObject({
      resumed: true,
      sessionId: a.id,
    });
  });

  it('keeps the call when the page sends a fresh token before expiry, without rejoining', async () => {
    const a = await joinWith('refresh', await token({ sub: 'a' }));
    const b = await joinWith('refresh', await token({ sub: 'b', exp: nowS() + 1 }));
    await a.next('peerJoined');
    // Another identity is refused, not fatal.
    b.send({ tokenRefresh: { token: await token({ sub: 'someone-else' }) } });
    expect((await b.next('error')).error).toMatchObject({ code: ErrorCode.TokenInvalid, fatal: false });
    b.send({ tokenRefresh: { token: await token({ sub: 'b', exp: nowS() + 600 }) } });
    await waitFor(() => relay.stats().tokenRefreshes === 1, 1000, 'the refresh');
    await sleep(2100);
    expect(b.isOpen).toBe(true);
    b.sendMedia('still-here');
    await a.nextMedia('still-here');
    await a.expectNone('peerLeft', 0);
    await a.expectNone('peerJoined', 0);
  });
});
