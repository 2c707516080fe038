/// <reference types="mocha" />
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import type { VcErrorEvent, VcKnockEvent, VcModeratedEvent } from '../../../src/element/events.js';
import '../collect-garbage.js';

const relays: { secured: string } = await (await fetch('/__relays.json')).json();
let roomCounter = 0;
const uniqueRoom = () => `wtr-lobby-${Date.now().toString(36)}-${roomCounter++}`;

async function token(room: string, sub: string, grants = ''): Promise<string> {
  return (await fetch(`/__token?room=${room}&sub=${sub}&name=${sub}&grants=${grants}`)).text();
}

async function element(room: string, sub: string, grants = ''): Promise<VideocallRoomElement> {
  return fixture<VideocallRoomElement>(
    html`<videocall-room
      server=${relays.secured}
      room=${room}
      name=${sub}
      token=${await token(room, sub, grants)}
      manual
      camera="off"
      mic="off"
    ></videocall-room>`,
  );
}

const text = (el: VideocallRoomElement, part: string): string =>
  el.shadowRoot!.querySelector(`[part~="${part}"]`)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

describe('<videocall-room> lobby', () => {
  it('tells a waiter it waits; shows admins who knocks; Admit lets it in', async () => {
    const room = uniqueRoom();
    const admin = await element(room, 'host', 'admin');
    await admin.join();
    const guest = await element(room, 'guest', 'lobby');
    const waiting = oneEvent(guest, 'vc-waiting');
    const knock = oneEvent(admin, 'vc-knock') as Promise<VcKnockEvent>;
    const joined = guest.join();
    await waiting;
    await guest.updateComplete;
    expect(text(guest, 'overlay')).to.match(/waiting for the host to let you in/i);
    expect(guest.participants).to.have.length(0);
    const knocked = await knock;
    expect(knocked.waiting.map((p) => p.identity)).to.deep.equal(['guest']);
    await admin.updateComplete;
    expect(text(admin, 'lobby')).to.match(/1 person wants to join.*guest/i);
    admin.shadowRoot!.querySelector<HTMLButtonElement>('[part~="admit-button"]')!.click();
    await joined;
    expect(guest.state).to.equal('joined');
    expect(guest.participants.map((p) => p.name)).to.deep.equal(['host']);
    await waitUntil(() => !admin.shadowRoot!.querySelector('[part~="lobby"]'), 'the panel empties', { timeout: 3000 });
  });

  it('Deny turns the waiter away with a message a person understands', async () => {
    const room = uniqueRoom();
    const admin = await element(room, 'host', 'admin');
    await admin.join();
    const guest = await element(room, 'guest', 'lobby');
    const knock = oneEvent(admin, 'vc-knock') as Promise<VcKnockEvent>;
    const error = oneEvent(guest, 'vc-error') as Promise<VcErrorEvent>;
    void guest.join().catch(() => undefined);
    const { waiting } = await knock;
    admin.deny(waiting[0]!.id);
    const event = await error;
    expect(event.code).to.equal('admission-denied');
    await guest.updateComplete;
    expect(text(guest, 'overlay')).to.match(/host did not let you into this meeting/i);
  });

  it('an admin mute turns the mic off and says why; a removal ends the call', async () => {
    const room = uniqueRoom();
    const admin = await element(room, 'host', 'admin');
    await admin.join();
    const guest = await element(room, 'guest');
    guest.mic = 'on';
    await guest.join();
    await waitUntil(() => admin.participants.some((p) => p.mic), 'the guest mic on', { timeout: 5000 });
    const id = admin.participants[0]!.id;
    const moderated = oneEvent(guest, 'vc-moderated') as Promise<VcModeratedEvent>;
    admin.mute(id, 'mic', true);
    expect((await moderated).kind).to.equal('mic-muted');
    await waitUntil(() => !guest.roomClient!.local.state.mic, 'the mic off', { timeout: 3000 });
    await waitUntil(() => !admin.participants[0]!.mic, 'others see it off', { timeout: 3000 });
    await guest.updateComplete;
    expect(text(guest, 'notice')).to.match(/admin muted your microphone/i);
    const error = oneEvent(guest, 'vc-error') as Promise<VcErrorEvent>;
    admin.removeParticipant(id);
    expect((await error).code).to.equal('removed');
    await guest.updateComplete;
    expect(text(guest, 'overlay')).to.match(/removed you from this meeting/i);
  });
});
