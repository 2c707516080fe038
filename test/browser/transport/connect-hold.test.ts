/// <reference types="mocha" />
import { expect } from '@open-wc/testing';
import { connectTransport } from '../../../src/transport/connect.js';

interface Relays {
  open: string;
  /** A relay with WebTransport turned off: `/webtransport.json` answers 404. */
  noWebTransport: string;
}
const relays: Relays = await (await fetch('/__relays.json')).json();

const after = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// `auto` must not give up on WebTransport while the Join could not go anyway (a page
// still opening its camera and probing codecs), but a WebTransport failure still
// falls back at once.
describe('connectTransport auto with holdFallbackUntil', () => {
  it('waits for WebTransport past the fallback deadline while held', async () => {
    // No fallback time at all: without the hold the WebSocket would win as soon as it opens.
    const transport = await connectTransport(relays.open, {
      transport: 'auto',
      fallbackAfterMs: 0,
      holdFallbackUntil: after(3000),
    });
    try {
      expect(transport.kind).to.equal('webtransport');
    } finally {
      transport.close();
    }
  });

  it('falls back at once when WebTransport fails, hold or not', async () => {
    const started = performance.now();
    const transport = await connectTransport(relays.noWebTransport, {
      transport: 'auto',
      holdFallbackUntil: after(10_000),
    });
    try {
      expect(transport.kind).to.equal('websocket');
      expect(performance.now() - started).to.be.below(5000);
    } finally {
      transport.close();
    }
  });
});
