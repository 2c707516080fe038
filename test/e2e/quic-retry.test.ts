/**
 * Chromium's own QUIC through the relay's Retry address validation
 * (`QUIC_RETRY=always`): while Initials from loopback addresses that never answer
 * (what spoofed sources look like to the relay) keep coming, a page's WebTransport
 * session to the relay still opens (QUIC handshake through a Retry, then the
 * extended CONNECT the relay accepts), and the flood holds no QUIC connection.
 * The page comes from the relay itself (Chromium blocks other local origins from
 * reaching a loopback relay).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionsFromEnv } from '../../server/config.js';
import { startRelay, type Relay } from '../../server/relay.js';
import { chromiumArgs } from '../chromium.mjs';
import { CraftedClient, LoopbackSocket } from '../webtransport/quic-initials.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';

const FLOOD = 200;

let relay: Relay;
let chromium: TestBrowser;
let page: Page;
let pageDir: string;
const sockets: LoopbackSocket[] = [];

beforeAll(async () => {
  pageDir = mkdtempSync(join(tmpdir(), 'vc-retry-page-'));
  writeFileSync(join(pageDir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>QUIC Retry</title>\n');
  relay = await startRelay({
    host: '127.0.0.1',
    port: 0,
    demoDir: pageDir,
    distDir: pageDir,
    ...optionsFromEnv({ QUIC_RETRY: 'always' }).options,
  });
  expect(relay.webTransport, 'the relay runs WebTransport').toBeDefined();
  expect(chromiumArgs()).not.toContain('--disable-quic');
  chromium = await launchChromium();
  page = await chromium.newPage(`${relay.url}/`);
});

afterAll(async () => {
  await chromium?.close();
  await relay?.close();
  for (const s of sockets) s.close();
  if (pageDir) rmSync(pageDir, { recursive: true, force: true });
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ').at(-1));
}

/** Sends `count` distinct client Initials from 127.0.0.2…11, never answering the Retries. */
async function flood(count: number): Promise<void> {
  const port = relay.webTransport!.port;
  for (let i = 0; i < 10; i++) sockets.push(await LoopbackSocket.bind(`127.0.0.${2 + i}`));
  for (let i = 0; i < count; i++) {
    const from = sockets[i % sockets.length]!;
    const crafted = await CraftedClient.create({ host: '127.0.0.1', port }, from);
    await from.send(crafted.next(), port);
    // Spread over the session's handshake rather than all before it.
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens a WebTransport session to the relay in the page; resolves with `ready`'s time or the error. */
function openSession(): Promise<{ ok: boolean; ms: number; error?: string }> {
  const { url, certificateHash } = relay.webTransport!;
  const hash = [...Buffer.from(certificateHash, 'base64')];
  return page.evaluate(
    async ({ url, hash }) => {
      const started = performance.now();
      try {
        const transport = new WebTransport(url, {
          serverCertificateHashes: [{ algorithm: 'sha-256', value: new Uint8Array(hash) }],
        });
        (globalThis as unknown as { vcWt: WebTransport[] }).vcWt ??= [];
        (globalThis as unknown as { vcWt: WebTransport[] }).vcWt.push(transport);
        await Promise.race([
          transport.ready,
          new Promise((_, reject) => setTimeout(() => reject(new Error('ready timed out')), 20_000)),
        ]);
        return { ok: true, ms: performance.now() - started };
      } catch (e) {
        return { ok: false, ms: performance.now() - started, error: String(e) };
      }
    },
    { url, hash },
  );
}

describe('QUIC_RETRY=always with real Chromium', () => {
  it('opens WebTransport sessions during a flood of unanswered Initials, which holds no connection', async () => {
    const flooding = flood(FLOOD);
    const first = await openSession();
    await flooding;
    const second = await openSession();
    expect(first, JSON.stringify(first)).toMatchObject({ ok: true });
    expect(second, JSON.stringify(second)).toMatchObject({ ok: true });
    await waitFor('the relay to count both sessions', async () =>
      relay.stats().webTransport.sessions === 2 ? true : undefined,
    );
    // Each session's connection passed a Retry (Chromium's ClientHello may span two Initials, each answered);
    // each flooding Initial got one Retry and left nothing behind.
    expect(await metric('videocall_quic_retries_total')).toBeGreaterThanOrEqual(FLOOD + 2);
    expect(await metric('videocall_quic_connections')).toBe(2);
    expect(await metric('videocall_quic_handshaking')).toBe(0);
    console.log(
      `[quic-retry] sessions ready in ${first.ms.toFixed(0)} ms (during the flood) and ${second.ms.toFixed(0)} ms`,
    );
  });
});
