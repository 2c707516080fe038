/// <reference types="mocha" />
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import { Room } from '../../../src/call/room.js';
import type { RoomLeftEvent, RoomReconnectingEvent } from '../../../src/call/events.js';
import type {
  VcJoinedEvent,
  VcLeftEvent,
  VcReconnectedEvent,
  VcReconnectingEvent,
} from '../../../src/element/events.js';
import '../collect-garbage.js';

interface Relays {
  open: string;
}
const relays: Relays = await (await fetch('/__relays.json')).json();
/** Nothing listens on port 9 (discard) here: connections are refused at once. */
const DEAD_RELAY = 'http://127.0.0.1:9';
let roomCounter = 0;
const uniqueRoom = () => `wtr-reconnect-${Date.now().toString(36)}-${roomCounter++}`;

function shadow(el: VideocallRoomElement): ShadowRoot {
  return el.shadowRoot!;
}

/**
 * Drops the element's connection as a network failure would: the transport closes
 * with no reason from the relay. Reaches into the headless Room's private
 * transport, which no page can do; the relay sees a closed socket, no Leave.
 */
function dropConnection(el: VideocallRoomElement): void {
  const room = el.roomClient as unknown as { transport: { close(code: number, reason: string): void } | null };
  room.transport!.close(4000, '');
}

/** Every vc-* event an element fires, by type. */
function record(el: VideocallRoomElement): string[] {
  const seen: string[] = [];
  for (const type of ['vc-participant-joined', 'vc-participant-left', 'vc-left', 'vc-error'] as const) {
    el.addEventListener(type, () => seen.push(type));
  }
  return seen;
}

describe('<videocall-room server="relay list">', () => {
  it('joins the second relay of the list when the first is unreachable', async () => {
    for (const server of [`${DEAD_RELAY} ${relays.open}`, `${DEAD_RELAY},${relays.open}`]) {
      const el = await fixture<VideocallRoomElement>(
        html`<videocall-room server=${server} room=${uniqueRoom()} camera="off" mic="off" manual></videocall-room>`,
      );
      try {
        const joined = oneEvent(el, 'vc-joined') as Promise<VcJoinedEvent>;
        await el.join();
        expect((await joined).sessionId).to.match(/^[A-Za-z0-9_-]{8,}$/);
        expect(el.state).to.equal('joined');
      } finally {
        el.leave();
      }
    }
  });

  it('fails with relay-unreachable only when no relay of the list answers', async () => {
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room server="${DEAD_RELAY} http://127.0.0.1:7" room="nowhere" manual></videocall-room>`,
    );
    const code = await el.join().then(
      () => 'joined',
      (e: { code: string }) => e.code,
    );
    expect(code).to.equal('relay-unreachable');
    expect(el.state).to.equal('left');
  });

  it('reconnects after a dropped connection and resumes as the same participant: a banner meanwhile, tiles kept, the others see nothing', async () => {
    const room = uniqueRoom();
    const a = await fixture<VideocallRoomElement>(
      html`<videocall-room server="${relays.open}" room=${room} name="Ada" manual></videocall-room>`,
    );
    const b = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${room} name="Grace" manual camera="off"></videocall-room>`,
    );
    try {
      await a.join();
      await b.join();
      await waitUntil(() => a.participants.length === 1 && b.participants.length === 1, 'never saw each other');
      const sessionId = (a.roomClient as { sessionId: string }).sessionId;
      const bSaw = record(b);
      const aSaw = record(a);

      let during: { state: string; banner: string; tiles: number; attempt: number; server: string } | undefined;
      a.addEventListener('vc-reconnecting', (e: VcReconnectingEvent) => {
        const state = a.state;
        // Rendered before any network answer can arrive: what a person sees meanwhile.
        void a.updateComplete.then(() => {
          during = {
            state,
            banner: shadow(a).querySelector('[part~="notice"][part~="reconnecting"]')?.textContent ?? '',
            tiles: shadow(a).querySelectorAll('[part~="tile-remote"]').length,
            attempt: e.attempt,
            server: e.server,
          };
        });
      });
      const reconnected = oneEvent(a, 'vc-reconnected') as Promise<VcReconnectedEvent>;
      const droppedAt = performance.now();
      dropConnection(a);
      const event = await reconnected;
      const ms = performance.now() - droppedAt;
      console.log(`reconnected after a dropped connection in ${Math.round(ms)} ms (${event.transport})`);

      expect(during).to.deep.equal({
        state: 'reconnecting',
        banner: 'Reconnecting…',
        tiles: 1,
        attempt: 1,
        server: relays.open,
      });
      expect(event.resumed).to.equal(true);
      expect(event.sessionId).to.equal(sessionId);
      expect(event.bubbles && event.composed).to.equal(true);
      expect(a.state).to.equal('joined');
      await a.updateComplete;
      expect(shadow(a).querySelector('[part~="reconnecting"]')).to.equal(null);
      // Media flows again: Grace sees Ada's picture decoded after the move.
      const framesBefore = b.participants[0]!.framesDecoded;
      await waitUntil(
        () => (b.participants[0]?.framesDecoded ?? 0) > framesBefore + 5,
        'no video from Ada after the reconnect',
        { timeout: 10000 },
      );
      expect(bSaw).to.deep.equal([]);
      expect(aSaw).to.deep.equal([]);
      expect(b.participants.map((p) => p.id)).to.deep.equal([sessionId]);
    } finally {
      a.leave();
      b.leave();
    }
  });

  it('gives up after reconnectTimeoutMs with a fatal connection-lost, having backed off between attempts', async () => {
    const room = new Room({
      server: relays.open,
      room: uniqueRoom(),
      name: 'Ada',
      camera: false,
      mic: false,
      // Attempt 4 comes 1.3–2.2 s after the drop and attempt 5 no sooner than 2.8 s: exactly 4 fit.
      reconnectTimeoutMs: 2500,
    });
    await room.join();
    // From now on every relay of its list is unreachable.
    (room as unknown as { servers: string[] }).servers = [DEAD_RELAY];
    const attempts: { attempt: number; at: number }[] = [];
    room.addEventListener('reconnecting', (e: RoomReconnectingEvent) =>
      attempts.push({ attempt: e.attempt, at: performance.now() }),
    );
    const left = new Promise<RoomLeftEvent>((resolve) => room.addEventListener('left', resolve));
    const droppedAt = performance.now();
    (room as unknown as { transport: { close(code: number, reason: string): void } }).transport.close(4000, '');
    const event = await left;
    const ms = performance.now() - droppedAt;
    expect(event.reason).to.equal('connection-lost');
    expect(event.error?.code).to.equal('connection-lost');
    expect(event.error?.fatal).to.equal(true);
    expect(room.state).to.equal('left');
    expect(ms).to.be.within(2400, 4000);
    // At once, then about 250, 500, 1000 ms apart (±25 %).
    expect(attempts.map((a) => a.attempt)).to.deep.equal([1, 2, 3, 4]);
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    expect(attempts[0]!.at - droppedAt).to.be.below(100);
    expect(gaps[0]).to.be.within(150, 400);
    expect(gaps[1]).to.be.within(350, 700);
  });

  it('stops reconnecting when left meanwhile', async () => {
    // The relay after the lost one is dead, so the first attempt fails and the room keeps trying.
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room
        server="${relays.open} ${DEAD_RELAY}"
        room=${uniqueRoom()}
        camera="off"
        mic="off"
        manual
      ></videocall-room>`,
    );
    await el.join();
    const attempts: number[] = [];
    let reconnected = false;
    el.addEventListener('vc-reconnecting', (e) => attempts.push(e.attempt));
    el.addEventListener('vc-reconnected', () => (reconnected = true));
    const left = oneEvent(el, 'vc-left') as Promise<VcLeftEvent>;
    el.addEventListener('vc-reconnecting', () => el.leave(), { once: true });
    dropConnection(el);
    expect((await left).reason).to.equal('left');
    expect(el.state).to.equal('left');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(attempts).to.deep.equal([1]);
    expect(reconnected).to.equal(false);
  });
});
