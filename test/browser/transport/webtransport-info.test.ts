/// <reference types="mocha" />
import { expect } from '@open-wc/testing';
import { WebTransportTransport } from '../../../src/transport/webtransport.js';
import { relayWebTransportInfoUrl } from '../../../src/transport/relay-url.js';
import { rememberedWebTransportInfo, rememberWebTransportInfo } from '../../../src/transport/webtransport-info.js';
import type { WebTransportInfo } from '../../../src/protocol/endpoints.js';

interface Relays {
  open: string;
  /** A relay with WebTransport turned off: `/webtransport.json` answers 404. */
  noWebTransport: string;
}
const relays: Relays = await (await fetch('/__relays.json')).json();
const STORAGE_KEY = 'videocall-room:webtransport-info';
const infoUrl = (server: string) => relayWebTransportInfoUrl(server, location.href);

/** What the relay describes now, fetched directly. */
async function relayInfo(server: string): Promise<WebTransportInfo> {
  return (await (await fetch(infoUrl(server), { cache: 'no-store' })).json()) as WebTransportInfo;
}

/**
 * While installed, the page's requests for `webtransport.json` wait until
 * `release()`; everything else is fetched as usual. Shows what a connect does
 * before the relay's description arrives.
 */
function holdInfoRequests(): { held: () => number; release: () => void } {
  const real = globalThis.fetch;
  let held = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    if (String(input instanceof Request ? input.url : input).endsWith('/webtransport.json')) {
      held++;
      await released;
    }
    return real(input, init);
  };
  return {
    held: () => held,
    release: () => {
      globalThis.fetch = real;
      release();
    },
  };
}

describe('WebTransport: the relay description remembered', () => {
  beforeEach(() => localStorage.removeItem(STORAGE_KEY));
  afterEach(() => localStorage.removeItem(STORAGE_KEY));

  it('remembers what the relay described on the first connect', async () => {
    expect(rememberedWebTransportInfo(infoUrl(relays.open))).to.equal(undefined);
    const transport = await WebTransportTransport.connect(relays.open, { timeoutMs: 8000 });
    transport.close();
    const described = await relayInfo(relays.open);
    const remembered = rememberedWebTransportInfo(infoUrl(relays.open));
    expect(remembered?.port).to.equal(described.port);
    expect(remembered?.serverCertificateHashes).to.deep.equal(described.serverCertificateHashes);
  });

  it('a later connect opens its session before the relay has described it again', async () => {
    (await WebTransportTransport.connect(relays.open, { timeoutMs: 8000 })).close();
    const hold = holdInfoRequests();
    try {
      const transport = await WebTransportTransport.connect(relays.open, { timeoutMs: 8000 });
      // Ready, while the description asked for meanwhile has not been answered.
      expect(transport.kind).to.equal('webtransport');
      expect(transport.state).to.equal('open');
      expect(hold.held()).to.equal(1);
      transport.close();
    } finally {
      hold.release();
    }
  });

  it('a remembered certificate the relay no longer has: connects with the fetched one and remembers it', async () => {
    const described = await relayInfo(relays.open);
    const wrongHash = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    rememberWebTransportInfo(infoUrl(relays.open), {
      ...described,
      serverCertificateHashes: [{ algorithm: 'sha-256', value: wrongHash }],
    });
    const transport = await WebTransportTransport.connect(relays.open, { timeoutMs: 8000 });
    try {
      expect(transport.state).to.equal('open');
    } finally {
      transport.close();
    }
    expect(rememberedWebTransportInfo(infoUrl(relays.open))?.serverCertificateHashes).to.deep.equal(
      described.serverCertificateHashes,
    );
  });

  it('a remembered port nobody answers on: the fetched description is used as soon as it arrives', async () => {
    const described = await relayInfo(relays.open);
    // Port 9 (discard): nothing listens for QUIC there on this machine.
    rememberWebTransportInfo(infoUrl(relays.open), { ...described, port: 9 });
    const transport = await WebTransportTransport.connect(relays.open, { timeoutMs: 8000 });
    try {
      expect(transport.state).to.equal('open');
    } finally {
      transport.close();
    }
    expect(rememberedWebTransportInfo(infoUrl(relays.open))?.port).to.equal(described.port);
  });

  it('a relay that stopped offering WebTransport: fails as before, and what was remembered is forgotten', async () => {
    const described = await relayInfo(relays.open);
    rememberWebTransportInfo(infoUrl(relays.noWebTransport), { ...described, port: 9 });
    let error: unknown;
    try {
      (await WebTransportTransport.connect(relays.noWebTransport, { timeoutMs: 8000 })).close();
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).to.equal('webtransport-unavailable');
    expect(String((error as Error).message)).to.contain('404');
    expect(rememberedWebTransportInfo(infoUrl(relays.noWebTransport))).to.equal(undefined);
  });

  it('does not use a description past its certificate expiry, or a day old', () => {
    const info: WebTransportInfo = { port: 4433, path: '/wt', serverCertificateHashes: [] };
    const now = Date.parse('2026-12-04T12:00:00Z');
    rememberWebTransportInfo('https://a.example/webtransport.json', { ...info, expires: '2026-12-04T11:00:00Z' }, now);
    expect(rememberedWebTransportInfo('https://a.example/webtransport.json', now)).to.equal(undefined);
    rememberWebTransportInfo('https://b.example/webtransport.json', { ...info, expires: '2026-12-10T00:00:00Z' }, now);
    expect(rememberedWebTransportInfo('https://b.example/webtransport.json', now)?.port).to.equal(4433);
    expect(rememberedWebTransportInfo('https://b.example/webtransport.json', now + 25 * 3600_000)).to.equal(undefined);
    // Saved "in the future" (a clock set back): not trusted either.
    expect(rememberedWebTransportInfo('https://b.example/webtransport.json', now - 60_000)).to.equal(undefined);
  });

  it('keeps the 8 relays saved last, and survives damaged storage', () => {
    const info: WebTransportInfo = { port: 4433, path: '/wt', serverCertificateHashes: [] };
    for (let i = 0; i < 10; i++) rememberWebTransportInfo(`https://r${i}.example/webtransport.json`, info, 1000 + i);
    const kept = Object.keys(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as object);
    expect(kept).to.have.length(8);
    expect(kept).to.not.include('https://r0.example/webtransport.json');
    expect(kept).to.not.include('https://r1.example/webtransport.json');
    localStorage.setItem(STORAGE_KEY, '{not json');
    expect(rememberedWebTransportInfo('https://r9.example/webtransport.json', 2000)).to.equal(undefined);
    localStorage.setItem(
      STORAGE_KEY,
      JSON.stringify({ 'https://x.example/webtransport.json': { info: { port: 'x' }, savedAt: 1 } }),
    );
    expect(rememberedWebTransportInfo('https://x.example/webtransport.json', 2)).to.equal(undefined);
    rememberWebTransportInfo('https://y.example/webtransport.json', info, 3);
    expect(rememberedWebTransportInfo('https://y.example/webtransport.json', 4)?.port).to.equal(4433);
  });
});
