/**
 * Headless Chromium's own WebTransport (QUIC on: no --disable-quic) as a relay
 * participant, next to a WebSocket participant (a `ws` client here), through the
 * relay's WebTransport endpoint: the page finds it through `/webtransport.json`,
 * pins the certificate hash it lists, opens the control stream, joins, and
 * exchanges audio datagrams and video streams. The page is served by the relay
 * itself (Chromium blocks other local origins from reaching a loopback relay).
 *
 * The page only moves bytes: envelopes are encoded and decoded here in Node.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloseCode,
  decodeEnvelope,
  encodeEnvelope,
  ErrorCode,
  lengthPrefixed,
  PROTOCOL_VERSION,
  TrackKind,
  type DecodedEnvelope,
  type EnvelopeInit,
} from '../../src/protocol/index.js';
import { startRelay, type Relay } from '../../server/relay.js';
import { chromiumArgs } from '../chromium.mjs';
import { TestClient } from '../server/helpers.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';

/** Where the page keeps what it received, base64 per envelope. */
type Carrier = 'control' | 'datagrams' | 'streams';

let relay: Relay;
let chromium: TestBrowser;
let page: Page;
let pageDir: string;
let sam: TestClient;
let pageId = '';
const taken: Record<Carrier, number> = { control: 0, datagrams: 0, streams: 0 };

beforeAll(async () => {
  pageDir = mkdtempSync(join(tmpdir(), 'vc-relay-wt-page-'));
  writeFileSync(
    join(pageDir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>relay over WebTransport</title>\n',
  );
  relay = await startRelay({ host: '127.0.0.1', port: 0, demoDir: pageDir, distDir: pageDir, shutdownTimeoutMs: 2000 });
  expect(relay.webTransport).toBeDefined();
  expect(chromiumArgs()).not.toContain('--disable-quic');
  chromium = await launchChromium();
  page = await chromium.newPage(`${relay.url}/`);
  sam = await TestClient.joined(relay, 'interop', 'sam');
});

afterAll(async () => {
  sam?.close();
  await chromium?.close();
  await relay?.close();
  if (pageDir) rmSync(pageDir, { recursive: true, force: true });
});

/** The envelopes the page received on `carrier` since the last call. */
async function received(carrier: Carrier): Promise<DecodedEnvelope[]> {
  const all = await page.evaluate((c) => (globalThis as unknown as { vc: Record<string, string[]> }).vc[c]!, carrier);
  const fresh = all.slice(taken[carrier]);
  taken[carrier] = all.length;
  return fresh.map((b64) => decodeEnvelope(Buffer.from(b64, 'base64')));
}

/** Waits for an envelope on `carrier` that `match` accepts (others are skipped). */
function pageReceives(
  carrier: Carrier,
  what: string,
  match: (e: DecodedEnvelope) => boolean,
  timeoutMs = 10_000,
): Promise<DecodedEnvelope> {
  return waitFor(what, async () => (await received(carrier)).find(match), timeoutMs, 20);
}

function media(tag: string, kind: number, size: number, keyframe = false): EnvelopeInit {
  const payload = new Uint8Array(size);
  payload.set(Buffer.from(tag));
  return { media: { kind, sequence: 1, timestamp: 0, keyframe, payload } };
}

const payloadText = (e: DecodedEnvelope): string => Buffer.from(e.media?.payload ?? []).toString('utf8');

describe('Chromium’s WebTransport in a room with a WebSocket participant', () => {
  it('finds the endpoint in /webtransport.json, opens the control stream and joins', async () => {
    const joinBytes = [
      ...lengthPrefixed(
        encodeEnvelope({
          join: { protocolVersion: PROTOCOL_VERSION, room: 'interop', name: 'page', framedStreams: true },
        }),
      ),
    ];
    const readyMs = await page.evaluate(async (joinMessage: number[]) => {
      const b64 = (bytes: Uint8Array): string => {
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(s);
      };
      const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
        const out = new Uint8Array(a.length + b.length);
        out.set(a);
        out.set(b, a.length);
        return out;
      };
      const started = performance.now();
      const info = (await (await fetch('/webtransport.json', { cache: 'no-store' })).json()) as {
        port: number;
        path: string;
        serverCertificateHashes: Array<{ algorithm: string; value: string }>;
      };
      const transport = new WebTransport(`https://${location.hostname}:${info.port}${info.path}`, {
        serverCertificateHashes: info.serverCertificateHashes.map((h) => ({
          algorithm: h.algorithm,
          value: Uint8Array.from(atob(h.value), (c) => c.charCodeAt(0)),
        })),
        requireUnreliable: true,
      });
      await Promise.race([
        transport.ready,
        new Promise((_, reject) => setTimeout(() => reject(new Error('ready timed out')), 10_000)),
      ]);
      const control = await transport.createBidirectionalStream();
      const vc = {
        transport,
        control: [] as string[],
        datagrams: [] as string[],
        streams: [] as string[],
        framedStreams: 0,
        closed: null as unknown,
        controlEnded: false,
        writer: control.writable.getWriter(),
        datagramWriter: transport.datagrams.writable.getWriter(),
      };
      (globalThis as unknown as { vc: typeof vc }).vc = vc;
      void (async () => {
        const reader = control.readable.getReader();
        let buffer: Uint8Array = new Uint8Array(0);
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = concat(buffer, value as Uint8Array);
          while (buffer.length >= 4) {
            const length = new DataView(buffer.buffer, buffer.byteOffset).getUint32(0);
            if (buffer.length < 4 + length) break;
            vc.control.push(b64(buffer.subarray(4, 4 + length)));
            buffer = buffer.slice(4 + length);
          }
        }
        vc.controlEnded = true;
      })().catch(() => undefined);
      void (async () => {
        const reader = transport.datagrams.readable.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          vc.datagrams.push(b64(value as Uint8Array));
        }
      })().catch(() => undefined);
      void (async () => {
        const streams = transport.incomingUnidirectionalStreams.getReader();
        for (;;) {
          const { value, done } = await streams.read();
          if (done) break;
          void (async () => {
            // A framed stream (first byte 0, then length-prefixed: the lane, then envelopes) or one envelope.
            const reader = (value as ReadableStream<Uint8Array>).getReader();
            let whole: Uint8Array = new Uint8Array(0);
            let framed = false;
            let lane = true;
            for (;;) {
              const chunk = await reader.read();
              if (chunk.done) break;
              whole = concat(whole, chunk.value);
              if (!framed && whole.length > 0 && whole[0] === 0) {
                framed = true;
                vc.framedStreams++;
                whole = whole.slice(1);
              }
              while (framed && whole.length >= 4) {
                const length = new DataView(whole.buffer, whole.byteOffset).getUint32(0);
                if (whole.length < 4 + length) break;
                if (!lane) vc.streams.push(b64(whole.subarray(4, 4 + length)));
                lane = false;
                whole = whole.slice(4 + length);
              }
            }
            if (!framed) vc.streams.push(b64(whole));
          })().catch(() => undefined);
        }
      })().catch(() => undefined);
      transport.closed.then(
        (info) => (vc.closed = info),
        (error: unknown) => (vc.closed = { error: String(error) }),
      );
      await vc.writer.write(new Uint8Array(joinMessage));
      return performance.now() - started;
    }, joinBytes);

    const welcome = await pageReceives('control', 'Welcome', (e) => e.body === 'welcome');
    expect(welcome.welcome).toMatchObject({ room: 'interop', roster: [expect.objectContaining({ id: sam.id })] });
    pageId = welcome.welcome!.sessionId!;
    const joined = await sam.next('peerJoined');
    expect(joined.peerJoined.participant).toMatchObject({ id: pageId, name: 'page' });
    expect(relay.stats().webTransport).toMatchObject({ sessions: 1, quicConnections: 1 });
    console.log(
      `[relay-webtransport] page joined over WebTransport: session ready ${readyMs.toFixed(1)} ms after fetch`,
    );
  });

  it('sends audio as datagrams and video on unidirectional streams; the WebSocket participant gets them stamped', async () => {
    const audio = [...encodeEnvelope(media('page-audio', TrackKind.AUDIO, 160))];
    const video = [...encodeEnvelope(media('page-video', TrackKind.VIDEO, 60_000, true))];
    await page.evaluate(
      async ({ audio, video }) => {
        const vc = (
          globalThis as unknown as { vc: { transport: WebTransport; datagramWriter: WritableStreamDefaultWriter } }
        ).vc;
        for (let i = 0; i < 3; i++) await vc.datagramWriter.write(new Uint8Array(audio));
        const stream = await vc.transport.createUnidirectionalStream();
        const writer = stream.getWriter();
        await writer.write(new Uint8Array(video));
        await writer.close();
      },
      { audio, video },
    );
    // Datagrams are unreliable; one of three is plenty on loopback.
    expect((await sam.nextMedia('page-audio', 5000)).from).toBe(pageId);
    const got = await sam.nextMedia('page-video', 5000);
    expect(got.from).toBe(pageId);
    expect(got.media.payload?.length).toBe(60_000);
  });

  it('receives the WebSocket participant’s audio as datagrams and video on a framed stream, stamped', async () => {
    const started = performance.now();
    for (let i = 0; i < 3; i++) sam.send(media(`sam-audio-${i}`, TrackKind.AUDIO, 160));
    sam.send(media('sam-video', TrackKind.VIDEO, 200_000, true));
    const audio = await pageReceives('datagrams', 'audio', (e) => payloadText(e).startsWith('sam-audio'));
    expect(audio.from).toBe(sam.id);
    const video = await pageReceives('streams', 'video', (e) => payloadText(e).startsWith('sam-video'));
    expect(video.from).toBe(sam.id);
    expect(video.media?.payload?.length).toBe(200_000);
    expect(
      await page.evaluate(() => (globalThis as unknown as { vc: { framedStreams: number } }).vc.framedStreams),
    ).toBe(1);
    console.log(
      `[relay-webtransport] WebSocket → relay → WebTransport: audio datagram + 200 KB video stream in ${(performance.now() - started).toFixed(0)} ms`,
    );
  });

  it('answers Ping on the control stream', async () => {
    const ping = [...lengthPrefixed(encodeEnvelope({ ping: { time: 1234 } }))];
    await page.evaluate(async (bytes) => {
      const vc = (globalThis as unknown as { vc: { writer: WritableStreamDefaultWriter } }).vc;
      await vc.writer.write(new Uint8Array(bytes));
    }, ping);
    const pong = await pageReceives('control', 'Pong', (e) => e.body === 'pong');
    expect(pong.pong?.time).toBe(1234);
  });

  it('on relay shutdown the page reads Error{server-shutdown} on the control stream and a close with 1001', async () => {
    const started = performance.now();
    const stopping = relay.close();
    const error = await pageReceives('control', 'the shutdown error', (e) => e.body === 'error');
    expect(error.error).toMatchObject({ code: ErrorCode.ServerShutdown, fatal: true });
    const closed = await waitFor(
      'the session close',
      () => page.evaluate(() => (globalThis as unknown as { vc: { closed: unknown } }).vc.closed ?? undefined),
      5000,
      20,
    );
    expect(closed).toEqual({ closeCode: CloseCode.GoingAway, reason: ErrorCode.ServerShutdown });
    await stopping;
    expect(relay.stats().webTransport.sessions).toBe(0);
    console.log(`[relay-webtransport] relay closed in ${(performance.now() - started).toFixed(0)} ms (page open)`);
  });
});
