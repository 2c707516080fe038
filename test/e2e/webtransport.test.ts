/**
 * Interop with a client nobody here wrote: headless Chromium's WebTransport
 * (QUIC enabled: no --disable-quic) against the relay's HTTP/3 stack. The page
 * comes from a relay on http://127.0.0.1 (so the WebTransport is same-address);
 * the WebTransport server is an echo server started beside it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../server/relay.js';
import { startWebTransportServer, type WebTransportServer } from '../../server/webtransport/webtransport-server.js';
import type { SessionCloseInfo, WebTransportSession } from '../../server/webtransport/webtransport-session.js';
import { chromiumArgs } from '../chromium.mjs';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';

/** What the page needs to open a session. */
interface Target {
  url: string;
  hash: number[];
}

/** What the echo server saw, per session (in order of arrival). */
interface SeenSession {
  session: WebTransportSession;
  datagrams: string[];
  uniStreams: Uint8Array[];
  closed?: SessionCloseInfo;
}

let relay: Relay;
let wt: WebTransportServer;
let chromium: TestBrowser;
let page: Page;
let target: Target;
let pageDir: string;
const seen: SeenSession[] = [];

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/**
 * The echo server: `echo:` datagrams come back as they are, `back:` datagrams
 * (the page's answers) are recorded; bidirectional streams are echoed; each
 * unidirectional stream is recorded and answered on a new server stream.
 */
function onSession(session: WebTransportSession): void {
  const entry: SeenSession = { session, datagrams: [], uniStreams: [] };
  seen.push(entry);
  session.ondatagram = (data) => {
    const message = text(data);
    if (message.startsWith('echo:')) session.sendDatagram(data);
    else entry.datagrams.push(message);
  };
  session.onbidistream = (stream) => {
    stream.ondata = (chunk) => stream.write(chunk);
    stream.onend = () => stream.end();
  };
  session.onunistream = (stream) => {
    const parts: Uint8Array[] = [];
    stream.ondata = (chunk) => parts.push(chunk);
    stream.onend = () => {
      const whole = Buffer.concat(parts);
      entry.uniStreams.push(whole);
      session.openUniStream(Buffer.concat([Buffer.from('got '), Buffer.from(String(whole.length))]));
    };
  };
  session.onclose = (info) => (entry.closed = info);
}

beforeAll(async () => {
  pageDir = mkdtempSync(join(tmpdir(), 'vc-wt-page-'));
  writeFileSync(
    join(pageDir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>WebTransport interop</title>\n',
  );
  relay = await startRelay({ host: '127.0.0.1', port: 0, demoDir: pageDir, distDir: pageDir });
  wt = await startWebTransportServer({ host: '127.0.0.1', port: 0, path: '/wt', onsession: onSession });
  target = { url: `https://127.0.0.1:${wt.port}/wt`, hash: [...wt.certificateHash] };
  expect(chromiumArgs()).not.toContain('--disable-quic');
  chromium = await launchChromium();
  page = await chromium.newPage(`${relay.url}/`);
});

afterAll(async () => {
  await chromium?.close();
  await wt?.close();
  await relay?.close();
  if (pageDir) rmSync(pageDir, { recursive: true, force: true });
});

/**
 * Opens a session in the page (kept as `window.vcWt`) and resolves with the
 * time `ready` took, ms. Every wait inside is bounded.
 */
function openSession(): Promise<number> {
  return page.evaluate(async ({ url, hash }: Target) => {
    const started = performance.now();
    const transport = new WebTransport(url, {
      serverCertificateHashes: [{ algorithm: 'sha-256', value: new Uint8Array(hash) }],
    });
    (globalThis as unknown as { vcWt: WebTransport }).vcWt = transport;
    await Promise.race([
      transport.ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error('ready timed out')), 10_000)),
    ]);
    return performance.now() - started;
  }, target);
}

describe('WebTransport interop with headless Chromium', () => {
  it('opens a session (QUIC handshake, SETTINGS, extended CONNECT answered with 200)', async () => {
    const readyMs = await openSession();
    await waitFor('the server to see the session', async () => (seen.length === 1 ? true : undefined), 5000, 20);
    const session = seen[0]!.session;
    expect(session.path).toBe('/wt');
    expect(session.origin).toBe(relay.url);
    expect(session.header('sec-webtransport-http3-draft02')).toBe('1');
    console.log(`[webtransport] session ready in ${readyMs.toFixed(1)} ms (handshake + CONNECT, loopback)`);
  });

  it('echoes datagrams sent by the page', async () => {
    const result = await page.evaluate(async () => {
      const transport = (globalThis as unknown as { vcWt: WebTransport }).vcWt;
      const writer = transport.datagrams.writable.getWriter();
      const reader = transport.datagrams.readable.getReader();
      const encoder = new TextEncoder();
      const decoder = new TextDecoder();
      const rtts: number[] = [];
      const answers: string[] = [];
      for (let i = 0; i < 20; i++) {
        const sent = performance.now();
        await writer.write(encoder.encode(`echo:${i}`));
        const read = await Promise.race([
          reader.read(),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000)),
        ]);
        if (!read || read.done) continue;
        rtts.push(performance.now() - sent);
        answers.push(decoder.decode(read.value));
      }
      writer.releaseLock();
      reader.releaseLock();
      rtts.sort((a, b) => a - b);
      return { answers, medianRtt: rtts[Math.floor(rtts.length / 2)] ?? -1 };
    });
    // Datagrams are unreliable, but loopback loses none in practice; allow a little.
    expect(result.answers.length).toBeGreaterThanOrEqual(18);
    for (const answer of result.answers) expect(answer).toMatch(/^echo:\d+$/);
    console.log(
      `[webtransport] datagram round trip, median of ${result.answers.length}: ${result.medianRtt.toFixed(2)} ms` +
        ` (quiche's smoothed RTT: ${seen[0]!.session.rttMs} ms)`,
    );
  });

  it('delivers datagrams sent by the server, and the page’s answers come back', async () => {
    const session = seen[0]!.session;
    const answered = page.evaluate(async () => {
      const transport = (globalThis as unknown as { vcWt: WebTransport }).vcWt;
      const reader = transport.datagrams.readable.getReader();
      const writer = transport.datagrams.writable.getWriter();
      const got: string[] = [];
      const deadline = performance.now() + 5000;
      while (got.length < 10 && performance.now() < deadline) {
        const read = await Promise.race([
          reader.read(),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500)),
        ]);
        if (!read || read.done) continue;
        const message = new TextDecoder().decode(read.value);
        got.push(message);
        await writer.write(new TextEncoder().encode(`back:${message}`));
      }
      reader.releaseLock();
      writer.releaseLock();
      return got;
    });
    // Keep sending until the page has its ten (the page's reader may start a moment later).
    for (let i = 0; i < 200 && seen[0]!.datagrams.length < 10; i++) {
      session.sendDatagram(Buffer.from(`srv:${i}`));
      await new Promise((r) => setTimeout(r, 20));
    }
    const got = await answered;
    expect(got.length).toBe(10);
    for (const message of got) expect(message).toMatch(/^srv:\d+$/);
    await waitFor('the page’s answers', async () => (seen[0]!.datagrams.length >= 10 ? true : undefined), 5000, 20);
    expect(seen[0]!.datagrams.slice(0, 10)).toEqual(got.map((m) => `back:${m}`));
  });

  it('echoes a bidirectional stream the page opens (256 KB each way)', async () => {
    const result = await page.evaluate(async () => {
      const transport = (globalThis as unknown as { vcWt: WebTransport }).vcWt;
      const stream = await transport.createBidirectionalStream();
      const payload = new Uint8Array(256 * 1024).map((_, i) => (i * 13) & 0xff);
      const writer = stream.writable.getWriter();
      const writing = (async () => {
        for (let i = 0; i < payload.length; i += 16 * 1024) await writer.write(payload.subarray(i, i + 16 * 1024));
        await writer.close();
      })();
      const reader = stream.readable.getReader();
      const chunks: Uint8Array[] = [];
      let length = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        chunks.push(value);
        length += value.length;
      }
      await writing;
      const back = new Uint8Array(length);
      let offset = 0;
      for (const chunk of chunks) {
        back.set(chunk, offset);
        offset += chunk.length;
      }
      return { length, same: length === payload.length && back.every((b, i) => b === payload[i]) };
    });
    expect(result).toEqual({ length: 256 * 1024, same: true });
  });

  it('receives a unidirectional stream the page opens, and answers on a server-opened one', async () => {
    const before = seen[0]!.uniStreams.length;
    const answer = await page.evaluate(async () => {
      const transport = (globalThis as unknown as { vcWt: WebTransport }).vcWt;
      const incoming = transport.incomingUnidirectionalStreams.getReader();
      const stream = await transport.createUnidirectionalStream();
      const writer = stream.getWriter();
      const payload = new Uint8Array(200_000).map((_, i) => i & 0xff);
      for (let i = 0; i < payload.length; i += 10_000) await writer.write(payload.subarray(i, i + 10_000));
      await writer.close();
      const { value } = await incoming.read();
      incoming.releaseLock();
      const reader = (value as ReadableStream<Uint8Array>).getReader();
      let text = '';
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(chunk);
      }
      return text;
    });
    expect(answer).toBe('got 200000');
    const received = seen[0]!.uniStreams[before]!;
    expect(received.length).toBe(200_000);
    expect(received.every((b, i) => b === (i & 0xff))).toBe(true);
  });

  it('delivers server-opened unidirectional streams, one per message, large and many', async () => {
    const session = seen[0]!.session;
    const reading = page.evaluate(async () => {
      const transport = (globalThis as unknown as { vcWt: WebTransport }).vcWt;
      const incoming = transport.incomingUnidirectionalStreams.getReader();
      const sizes: number[] = [];
      const firstBytes: number[] = [];
      const deadline = performance.now() + 15_000;
      while (sizes.length < 31 && performance.now() < deadline) {
        const next = await Promise.race([
          incoming.read(),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000)),
        ]);
        if (!next || next.done) continue;
        const reader = (next.value as ReadableStream<Uint8Array>).getReader();
        let size = 0;
        let first = -1;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (first < 0 && value.length > 0) first = value[0]!;
          size += value.length;
        }
        sizes.push(size);
        firstBytes.push(first);
      }
      incoming.releaseLock();
      return { sizes, firstBytes };
    });
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    // A "keyframe" of 400 KB, then thirty 8 KB "delta frames", each on its own stream.
    session.openUniStream(Buffer.alloc(400_000, 1));
    for (let i = 0; i < 30; i++) session.openUniStream(Buffer.alloc(8_000, 2 + i));
    const { sizes, firstBytes } = await reading;
    const elapsed = performance.now() - started;
    expect(sizes.length).toBe(31);
    expect([...sizes].sort((a, b) => b - a)).toEqual([400_000, ...new Array<number>(30).fill(8_000)]);
    expect(new Set(firstBytes)).toEqual(new Set([1, ...Array.from({ length: 30 }, (_, i) => 2 + i)]));
    console.log(`[webtransport] 31 server streams (640 KB) delivered in ${elapsed.toFixed(0)} ms`);
  });

  it('delivers a server-opened bidirectional stream and reads the page’s answer', async () => {
    const session = seen[0]!.session;
    const answering = page.evaluate(async () => {
      const transport = (globalThis as unknown as { vcWt: WebTransport }).vcWt;
      const incoming = transport.incomingBidirectionalStreams.getReader();
      const { value } = await incoming.read();
      incoming.releaseLock();
      const stream = value as WebTransportBidirectionalStream;
      const reader = stream.readable.getReader();
      let text = '';
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(chunk);
      }
      const writer = stream.writable.getWriter();
      await writer.write(new TextEncoder().encode(`answer to ${text}`));
      await writer.close();
      return text;
    });
    const stream = session.openBidiStream();
    const parts: Uint8Array[] = [];
    let ended = false;
    stream.ondata = (chunk) => parts.push(chunk);
    stream.onend = () => (ended = true);
    stream.write(Buffer.from('question'), true);
    expect(await answering).toBe('question');
    await waitFor('the page’s answer', async () => (ended ? true : undefined), 5000, 20);
    expect(Buffer.concat(parts).toString()).toBe('answer to question');
  });

  it('closes a session from the page: the server sees its code and reason', async () => {
    const closed = await page.evaluate(async () => {
      const transport = (globalThis as unknown as { vcWt: WebTransport }).vcWt;
      transport.close({ closeCode: 7, reason: 'bye from the page' });
      return transport.closed;
    });
    expect(closed).toEqual({ closeCode: 7, reason: 'bye from the page' });
    await waitFor('the server to see the close', async () => seen[0]!.closed, 5000, 20);
    expect(seen[0]!.closed).toEqual({ by: 'peer', code: 7, reason: 'bye from the page' });
  });

  it('closes a session from the server: the page sees its code and reason', async () => {
    await openSession();
    await waitFor('the second session', async () => (seen.length === 2 ? true : undefined), 5000, 20);
    const pageClosed = page.evaluate(async () => {
      const transport = (globalThis as unknown as { vcWt: WebTransport }).vcWt;
      return Promise.race([
        transport.closed,
        new Promise((_, reject) => setTimeout(() => reject(new Error('closed timed out')), 5000)),
      ]);
    });
    seen[1]!.session.close(9, 'bye from the server');
    expect(await pageClosed).toEqual({ closeCode: 9, reason: 'bye from the server' });
    expect(seen[1]!.closed).toEqual({ by: 'local', code: 9, reason: 'bye from the server' });
  });

  it('served everything without a handler error', () => {
    expect(wt.stats()).toMatchObject({ handlerErrors: 0, sessionsTotal: 2 });
  });
});
