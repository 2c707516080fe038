/**
 * The client's WebTransport transport (src/transport/webtransport.ts) in real
 * Chromium against the relay's HTTP/3 stack playing the relay's part of the wire
 * mapping by hand: control stream, datagrams, per-frame streams, close codes,
 * and the errors `connect` gives.
 */
import type { Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../server/relay.js';
import { startWebTransportServer, type WebTransportServer } from '../../server/webtransport/webtransport-server.js';
import type {
  SessionCloseInfo,
  WebTransportBidiStream,
  WebTransportSession,
} from '../../server/webtransport/webtransport-session.js';
import { lengthPrefixed, LengthPrefixedReader } from '../../src/protocol/stream-framing.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';
import { udpBlackhole } from './udp-blackhole.js';

const SOURCE = fileURLToPath(new URL('../../src/transport/webtransport.ts', import.meta.url));

/** The relay's side of one session, as the test sees it. */
interface ServerSide {
  session: WebTransportSession;
  control?: WebTransportBidiStream;
  controlIn: string[];
  datagrams: string[];
  streams: string[];
  closed?: SessionCloseInfo;
}

let relay: Relay;
let wt: WebTransportServer;
let chromium: TestBrowser;
let page: Page;
let dir: string;
let info: object;
const sessions: ServerSide[] = [];
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

function onSession(session: WebTransportSession): void {
  const side: ServerSide = { session, controlIn: [], datagrams: [], streams: [] };
  sessions.push(side);
  session.onbidistream = (stream) => {
    side.control = stream;
    const framing = new LengthPrefixedReader(1 << 20);
    stream.ondata = (chunk) => side.controlIn.push(...framing.push(chunk).map(text));
  };
  session.ondatagram = (data) => side.datagrams.push(text(data));
  session.onunistream = (stream) => {
    const parts: Uint8Array[] = [];
    stream.ondata = (chunk) => parts.push(chunk);
    stream.onend = () => side.streams.push(text(Buffer.concat(parts)));
  };
  session.onclose = (closed) => (side.closed = closed);
}

/**
 * Loads the module into a fresh page and answers `/webtransport.json` with `answer`.
 * Fresh also in what it remembers: no relay description from an earlier page
 * (src/transport/webtransport-info.ts), so the answer is all the page knows.
 */
async function freshPage(answer: { status: number; body?: object }): Promise<void> {
  await page?.close();
  page = await chromium.context.newPage();
  await page.addInitScript(() => localStorage.removeItem('videocall-room:webtransport-info'));
  await page.route('**/webtransport.json', (route) =>
    route.fulfill({ status: answer.status, contentType: 'application/json', body: JSON.stringify(answer.body ?? {}) }),
  );
  await page.goto(`${relay.url}/`);
  await page.waitForFunction(() => 'WTT' in globalThis);
}

/** Connects in the page; resolves with the error code and message on failure, and the time taken. */
function connect(timeoutMs = 5000): Promise<{ ok: boolean; code?: string; message?: string; ms: number }> {
  return page.evaluate(async (timeoutMs) => {
    const g = globalThis as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the page's own globals
    const started = performance.now();
    try {
      const t = await g.WTT.connect(location.origin, { timeoutMs });
      g.t = t;
      t.onmessage = (bytes: Uint8Array) => g.received.push(new TextDecoder().decode(bytes));
      t.onclose = (info: unknown) => g.closes.push(info);
      return { ok: true, ms: performance.now() - started };
    } catch (e) {
      const err = e as { code: string; message: string };
      return { ok: false, code: err.code, message: err.message, ms: performance.now() - started };
    }
  }, timeoutMs);
}

function pageValue<T>(expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vc-wtt-'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>transport</title>\n' +
      '<script type="module">import { WebTransportTransport } from "./wt-transport.js";\n' +
      'Object.assign(globalThis, { received: [], closes: [], WTT: WebTransportTransport });</script>\n',
  );
  const bundled = await build({ entryPoints: [SOURCE], bundle: true, format: 'esm', write: false, target: 'es2022' });
  writeFileSync(join(dir, 'wt-transport.js'), bundled.outputFiles[0]!.text);
  relay = await startRelay({ host: '127.0.0.1', port: 0, demoDir: dir, distDir: dir });
  wt = await startWebTransportServer({ host: '127.0.0.1', port: 0, path: '/wt', onsession: onSession });
  info = {
    port: wt.port,
    path: '/wt',
    serverCertificateHashes: [{ algorithm: 'sha-256', value: Buffer.from(wt.certificateHash).toString('base64') }],
  };
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  await wt?.close();
  await relay?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('WebTransportTransport', () => {
  describe('on an open session', () => {
    let side: ServerSide;

    beforeAll(async () => {
      await freshPage({ status: 200, body: info });
      const result = await connect();
      expect(result).toMatchObject({ ok: true });
      console.log(`[webtransport transport] connect (info + handshake + control stream): ${result.ms.toFixed(0)} ms`);
      side = await waitFor('the session', async () => sessions.at(-1), 5000, 20);
    });

    beforeEach(() => {
      side.controlIn.length = side.datagrams.length = side.streams.length = 0;
    });

    it('carries control messages on one length-prefixed bidirectional stream, both ways, in order', async () => {
      await page.evaluate(() => {
        const g = globalThis as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        for (let i = 0; i < 50; i++) g.t.send(new TextEncoder().encode(`control ${i}`), 'control');
      });
      await waitFor('50 control messages', async () => (side.controlIn.length === 50 ? true : undefined), 5000, 20);
      expect(side.controlIn).toEqual(Array.from({ length: 50 }, (_, i) => `control ${i}`));
      // Split across writes the way a stream may cut them: the page still sees whole messages.
      const framed = Buffer.concat([lengthPrefixed(Buffer.from('welcome')), lengthPrefixed(Buffer.from('peer'))]);
      side.control!.write(framed.subarray(0, 5));
      side.control!.write(framed.subarray(5));
      await waitFor('the page to read them', async () =>
        (await pageValue<string[]>('received')).length === 2 ? true : undefined,
      );
      expect(await pageValue<string[]>('received.splice(0)')).toEqual(['welcome', 'peer']);
    });

    it('sends audio as datagrams, and audio too large for one on a stream', async () => {
      const maxDatagram = await page.evaluate(() => {
        const g = globalThis as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        for (let i = 0; i < 20; i++) g.t.send(new TextEncoder().encode(`audio ${i}`), 'audio');
        g.t.send(new TextEncoder().encode('A'.repeat(5000)), 'audio');
        return g.t.session.datagrams.maxDatagramSize as number;
      });
      await waitFor('the audio', async () =>
        side.datagrams.length >= 18 && side.streams.length === 1 ? true : undefined,
      );
      for (const d of side.datagrams) expect(d).toMatch(/^audio \d+$/);
      expect(side.streams[0]).toBe('A'.repeat(5000));
      console.log(`[webtransport transport] maxDatagramSize ${maxDatagram} bytes`);
    });

    it('sends each video frame on its own unidirectional stream', async () => {
      await page.evaluate(() => {
        const g = globalThis as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        g.t.send(new TextEncoder().encode('K'.repeat(100_000)), 'video-key');
        for (let i = 0; i < 4; i++) g.t.send(new TextEncoder().encode(`delta ${i}`), 'video');
      });
      await waitFor('the frames', async () => (side.streams.length >= 4 ? true : undefined));
      await new Promise((r) => setTimeout(r, 200));
      const deltas = side.streams.filter((s) => s.startsWith('delta'));
      expect(deltas.length).toBe(4);
      const keys = side.streams.filter((s) => s.startsWith('K'));
      expect(keys.every((k) => k.length === 100_000)).toBe(true);
    });

    it('drops video deltas while older frames are still being written, and a keyframe abandons them', async () => {
      const outcome = await page.evaluate(() => {
        const g = globalThis as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        const big = new Uint8Array(200_000).fill(68);
        // Synchronous sends: nothing can finish in between, so the limits decide.
        const deltas = Array.from({ length: 5 }, () => g.t.send(big, 'video') as boolean);
        const inFlight = g.t.videoBytesInFlight as number;
        const key = g.t.send(new Uint8Array(1000).fill(75), 'video-key') as boolean;
        return { deltas, inFlight, key, afterKey: g.t.videoBytesInFlight as number, stats: g.t.stats };
      });
      expect(outcome.deltas).toEqual([true, true, false, false, false]);
      expect(outcome.inFlight).toBe(400_000);
      expect(outcome.key).toBe(true);
      expect(outcome.afterKey).toBe(1000);
      expect(outcome.stats.videoAborted).toBe(2);
      expect(outcome.stats.videoDropped).toBeGreaterThanOrEqual(3);
      // The keyframe arrives whole; the abandoned deltas never arrive as frames.
      await waitFor('the keyframe', async () => (side.streams.includes('K'.repeat(1000)) ? true : undefined));
      expect(side.streams.filter((f) => f.length === 200_000).length).toBeLessThanOrEqual(2);
    });

    it('delivers streams from the relay whole and in the order they were opened', async () => {
      // The first stream finishes last: the page still gets it first (it is held for the reorder window).
      const first = side.session.openUniStream(Buffer.from('frame 1 '), false);
      side.session.openUniStream(Buffer.from('frame 2'));
      side.session.openUniStream(Buffer.from('frame 3'));
      await new Promise((r) => setTimeout(r, 30));
      first.write(Buffer.from('rest'), true);
      await waitFor('three frames', async () =>
        (await pageValue<string[]>('received')).length === 3 ? true : undefined,
      );
      expect(await pageValue<string[]>('received.splice(0)')).toEqual(['frame 1 rest', 'frame 2', 'frame 3']);
    });

    it('stops waiting for a stream that stalls, after a short hold', async () => {
      const stalled = side.session.openUniStream(Buffer.from('stalled '), false);
      side.session.openUniStream(Buffer.from('next'));
      const started = Date.now();
      await waitFor('the next frame', async () =>
        (await pageValue<string[]>('received')).includes('next') ? true : undefined,
      );
      const held = Date.now() - started;
      stalled.write(Buffer.from('at last'), true);
      await waitFor('the stalled one', async () =>
        (await pageValue<string[]>('received')).length === 2 ? true : undefined,
      );
      expect(await pageValue<string[]>('received.splice(0)')).toEqual(['next', 'stalled at last']);
      expect(held).toBeGreaterThanOrEqual(80);
      expect(held).toBeLessThan(1000);
      expect(await pageValue<number>('t.stats.streamsSkippedAhead')).toBeGreaterThanOrEqual(1);
    });

    it('delivers a framed stream envelope by envelope as each arrives, before the stream ends', async () => {
      const header = (lane: number) => Buffer.from([0, 0, 0, 0, 4, 0, 0, 0, lane]);
      const framed = (text: string) => Buffer.from(lengthPrefixed(new TextEncoder().encode(text)));
      const gop = side.session.openUniStream(Buffer.concat([header(9), framed('key 1'), framed('delta 2')]), false);
      await waitFor('the first two', async () =>
        (await pageValue<string[]>('received')).length === 2 ? true : undefined,
      );
      // Split mid-prefix and mid-envelope: still one envelope.
      const delta3 = framed('delta 3');
      gop.write(delta3.subarray(0, 2));
      await new Promise((r) => setTimeout(r, 30));
      gop.write(delta3.subarray(2, 7));
      gop.write(delta3.subarray(7));
      await waitFor('the third', async () => ((await pageValue<string[]>('received')).length === 3 ? true : undefined));
      expect(await pageValue<string[]>('received.splice(0)')).toEqual(['key 1', 'delta 2', 'delta 3']);
      // A one-envelope stream meanwhile is not held behind the framed one, which is still open.
      side.session.openUniStream(Buffer.from('audio'));
      await waitFor('the other stream', async () =>
        (await pageValue<string[]>('received')).includes('audio') ? true : undefined,
      );
      expect(await pageValue<string[]>('received.splice(0)')).toEqual(['audio']);

      // The next stream on lane 9 supersedes this one: what it still brings is not delivered.
      const next = side.session.openUniStream(Buffer.concat([header(9), framed('key 4')]), false);
      await waitFor('the next keyframe', async () =>
        (await pageValue<string[]>('received')).includes('key 4') ? true : undefined,
      );
      gop.write(framed('late delta'));
      next.write(framed('delta 5'));
      // Another lane is untouched.
      side.session.openUniStream(Buffer.concat([header(10), framed('screen key')]), true);
      await waitFor('both lanes', async () =>
        (await pageValue<string[]>('received')).length === 3 ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 100));
      expect((await pageValue<string[]>('received.splice(0)')).sort()).toEqual(['delta 5', 'key 4', 'screen key']);
      expect(await pageValue<number>('t.stats.framedReceived')).toBe(6);
    });

    it('delivers datagrams from the relay', async () => {
      for (let i = 0; i < 5; i++) side.session.sendDatagram(Buffer.from(`dg ${i}`));
      await waitFor('datagrams', async () => ((await pageValue<string[]>('received')).length >= 4 ? true : undefined));
      expect((await pageValue<string[]>('received.splice(0)')).every((m) => /^dg \d$/.test(m))).toBe(true);
    });

    it('reports the relay closing the session with its code and reason, as WebSocket would', async () => {
      side.session.close(4003, 'room-full');
      await waitFor('the close', async () => ((await pageValue<unknown[]>('closes')).length ? true : undefined));
      expect(await pageValue<unknown[]>('closes')).toEqual([{ code: 4003, reason: 'room-full', local: false }]);
      expect(await pageValue<string>('t.state')).toBe('closed');
      expect(await pageValue<boolean>('t.send(new Uint8Array(1), "control")')).toBe(false);
    });
  });

  it('closes locally with the code given, reported once as local', async () => {
    await freshPage({ status: 200, body: info });
    expect(await connect()).toMatchObject({ ok: true });
    const side = await waitFor('the session', async () => sessions.at(-1), 5000, 20);
    await page.evaluate(() =>
      (globalThis as unknown as { t: { close(c: number, r: string): void } }).t.close(1000, 'left'),
    );
    await waitFor('the relay to see it', async () => side.closed, 5000, 20);
    expect(side.closed).toMatchObject({ code: 1000, reason: 'left' });
    expect(await pageValue<unknown[]>('closes')).toEqual([{ code: 1000, reason: 'left', local: true }]);
  });

  it('reports a dropped connection as 1006', async () => {
    await freshPage({ status: 200, body: info });
    expect(await connect()).toMatchObject({ ok: true });
    const side = await waitFor('the session', async () => sessions.at(-1), 5000, 20);
    // Kill the QUIC connection under the session (no WebTransport close).
    side.session.quic.close(0x100, 'gone');
    await waitFor('the close', async () => ((await pageValue<unknown[]>('closes')).length ? true : undefined));
    expect(await pageValue<unknown[]>('closes')).toEqual([{ code: 1006, reason: '', local: false }]);
  });

  it('says the relay does not offer WebTransport when webtransport.json is 404', async () => {
    await freshPage({ status: 404 });
    const result = await connect();
    expect(result).toMatchObject({ ok: false, code: 'webtransport-unavailable' });
    expect(result.message).toMatch(/does not offer WebTransport/);
  });

  describe('with UDP blocked', () => {
    let blackhole: Socket;
    beforeAll(async () => {
      blackhole = await udpBlackhole();
    });
    afterAll(() => blackhole?.close());

    it('gives up at the timeout and says the UDP port may be blocked', async () => {
      await freshPage({ status: 200, body: { ...info, port: blackhole.address().port } });
      const result = await connect(800);
      expect(result).toMatchObject({ ok: false, code: 'webtransport-unavailable' });
      expect(result.message).toMatch(new RegExp(`UDP port ${blackhole.address().port} may be blocked`));
      expect(result.ms).toBeGreaterThanOrEqual(790);
      expect(result.ms).toBeLessThan(1500);
    });
  });
});
