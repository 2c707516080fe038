/// <reference types="mocha" />
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import type { VcErrorEvent } from '../../../src/element/events.js';
import '../collect-garbage.js';

interface Relays {
  secured: string;
}
const relays: Relays = await (await fetch('/__relays.json')).json();
let roomCounter = 0;
const uniqueRoom = () => `wtr-access-${Date.now().toString(36)}-${roomCounter++}`;

/** A token from the test server, as a site's backend would hand the page one. */
async function token(room: string, sub: string, ttlSeconds = 600): Promise<string> {
  return (await fetch(`/__token?room=${room}&sub=${sub}&name=${sub}&ttl=${ttlSeconds}`)).text();
}

describe('<videocall-room token> on a relay that requires access tokens', () => {
  it('refuses a token for another room, and tells the person so', async () => {
    const room = uniqueRoom();
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room
        server=${relays.secured}
        room=${room}
        token=${await token('elsewhere', 'ada')}
        manual
        camera="off"
        mic="off"
      ></videocall-room>`,
    );
    const error = oneEvent(el, 'vc-error') as Promise<VcErrorEvent>;
    void el.join().catch(() => undefined);
    const event = await error;
    expect(event.code).to.equal('token-wrong-room');
    expect(event.fatal).to.equal(true);
    expect(event.message).to.match(/invitation is for another room/i);
    expect(el.state).to.equal('left');
    await el.updateComplete;
    // A fatal error ends the call: the overlay says why, with a button to try again.
    const overlay = el.shadowRoot!.querySelector('[part~="overlay"]');
    expect(overlay?.textContent ?? '').to.match(/invitation is for another room/i);
  });

  it('says a token is missing when the page gives none', async () => {
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room
        server=${relays.secured}
        room=${uniqueRoom()}
        manual
        camera="off"
        mic="off"
      ></videocall-room>`,
    );
    const error = oneEvent(el, 'vc-error') as Promise<VcErrorEvent>;
    void el.join().catch(() => undefined);
    expect((await error).code).to.equal('token-missing');
  });

  it('keeps the call past the first token’s expiry when the page sets a fresh token, without rejoining', async () => {
    const room = uniqueRoom();
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room
        server=${relays.secured}
        room=${room}
        token=${await token(room, 'grace', 4)}
        manual
        camera="off"
        mic="off"
      ></videocall-room>`,
    );
    const seen: string[] = [];
    for (const type of ['vc-left', 'vc-error', 'vc-reconnecting', 'vc-joined'] as const) {
      el.addEventListener(type, () => seen.push(type));
    }
    try {
      await el.join();
      const sessionId = el.roomClient!.sessionId;
      el.token = await token(room, 'grace', 600);
      // Past the first token's expiry (at most 4 s after it was signed).
      await new Promise((resolve) => setTimeout(resolve, 4500));
      expect(el.state).to.equal('joined');
      expect(el.roomClient!.sessionId).to.equal(sessionId);
      expect(seen).to.deep.equal(['vc-joined']);
    } finally {
      el.leave();
    }
  });

  it('ends the call with token-expired when the token runs out and no fresh one comes', async () => {
    const room = uniqueRoom();
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room
        server=${relays.secured}
        room=${room}
        token=${await token(room, 'linus', 3)}
        manual
        camera="off"
        mic="off"
      ></videocall-room>`,
    );
    // Listening from the start: on a slow machine the join itself can take a good part of the token's life.
    const ended = oneEvent(el, 'vc-error') as Promise<unknown> as Promise<VcErrorEvent>;
    await el.join();
    // The call was joined before the token ran out: this is the in-call expiry, not a refused join.
    expect(el.state).to.equal('joined');
    const error = await ended;
    expect(error.code).to.equal('token-expired');
    expect(error.message).to.match(/expired/i);
    await waitUntil(() => el.state === 'left', 'the call ends', { timeout: 3000 });
  });
});
