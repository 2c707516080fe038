/// <reference types="mocha" />
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import type { VcErrorEvent, VcJoinedEvent } from '../../../src/element/events.js';
import '../collect-garbage.js';

interface Relays {
  open: string;
  /** A relay with WebTransport turned off: `/webtransport.json` answers 404. */
  noWebTransport: string;
}
const relays: Relays = await (await fetch('/__relays.json')).json();
let roomCounter = 0;
const uniqueRoom = () => `wtr-transport-${Date.now().toString(36)}-${roomCounter++}`;

/** Joins an element with `transport` on `server`; resolves with its vc-joined event and the element. */
async function joinWith(
  server: string,
  transport: string,
): Promise<{ el: VideocallRoomElement; event: VcJoinedEvent; ms: number }> {
  const el = await fixture<VideocallRoomElement>(
    html`<videocall-room
      server=${server}
      room=${uniqueRoom()}
      name="Tess"
      transport=${transport}
      camera="off"
      mic="off"
      manual
    ></videocall-room>`,
  );
  const joined = oneEvent(el, 'vc-joined') as Promise<VcJoinedEvent>;
  const started = performance.now();
  await el.join();
  const event = await joined;
  return { el, event, ms: performance.now() - started };
}

describe('<videocall-room transport>', () => {
  it('joins over WebTransport with transport="webtransport" and says so', async () => {
    const { el, event, ms } = await joinWith(relays.open, 'webtransport');
    try {
      expect(event.transport).to.equal('webtransport');
      expect(el.transportInUse).to.equal('webtransport');
      expect(el.transport).to.equal('webtransport');
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('[part~="stage"]')?.getAttribute('data-transport')).to.equal('webtransport');
      console.log(`joined on webtransport in ${ms.toFixed(0)} ms`);
    } finally {
      el.leave();
    }
    expect(el.transportInUse).to.equal(null);
  });

  it('uses WebTransport with transport="auto" when the relay offers it', async () => {
    const { el, event, ms } = await joinWith(relays.open, 'auto');
    try {
      expect(event.transport).to.equal('webtransport');
      expect(el.transportInUse).to.equal('webtransport');
      console.log(`auto joined on webtransport in ${ms.toFixed(0)} ms`);
    } finally {
      el.leave();
    }
  });

  it('stays on WebSocket with transport="websocket"', async () => {
    const { el, event } = await joinWith(relays.open, 'websocket');
    try {
      expect(event.transport).to.equal('websocket');
      expect(el.transportInUse).to.equal('websocket');
    } finally {
      el.leave();
    }
  });

  it('falls back to WebSocket at once with transport="auto" when the relay has no WebTransport', async () => {
    const { el, event, ms } = await joinWith(relays.noWebTransport, 'auto');
    try {
      expect(event.transport).to.equal('websocket');
      // A 404 for webtransport.json is an immediate answer: no waiting for the fallback timer.
      expect(ms).to.be.below(2000);
      console.log(`auto fell back to websocket (no WebTransport on the relay) in ${ms.toFixed(0)} ms`);
    } finally {
      el.leave();
    }
  });

  it('fails with a clear webtransport-unavailable error when transport="webtransport" and the relay has none', async () => {
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room
        server=${relays.noWebTransport}
        room=${uniqueRoom()}
        transport="webtransport"
        camera="off"
        mic="off"
        manual
      ></videocall-room>`,
    );
    const error = oneEvent(el, 'vc-error') as Promise<VcErrorEvent>;
    const joining = el.join().then(
      () => 'joined',
      (e: { code: string }) => e.code,
    );
    const event = await error;
    expect(event.code).to.equal('webtransport-unavailable');
    expect(event.fatal).to.equal(true);
    expect(event.message).to.match(/does not offer WebTransport/);
    expect(await joining).to.equal('webtransport-unavailable');
    expect(el.state).to.equal('left');
    expect(el.transportInUse).to.equal(null);
  });

  it('reflects transport="webtransport" as an attribute', async () => {
    const el = await fixture<VideocallRoomElement>(html`<videocall-room manual></videocall-room>`);
    el.transport = 'webtransport';
    await el.updateComplete;
    expect(el.getAttribute('transport')).to.equal('webtransport');
  });
});
