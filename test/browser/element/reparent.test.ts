/// <reference types="mocha" />
import { expect, oneEvent, waitUntil } from '@open-wc/testing';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import type { VcLeftEvent, VcParticipantLeftEvent } from '../../../src/element/events.js';
import '../collect-garbage.js';

interface Relays {
  open: string;
}
const relays: Relays = await (await fetch('/__relays.json')).json();
let roomCounter = 0;
const uniqueRoom = () => `wtr-reparent-${Date.now().toString(36)}-${roomCounter++}`;

/** A container on the page, removed after the test. */
function container(): HTMLDivElement {
  const div = document.createElement('div');
  document.body.append(div);
  return div;
}

function callIn(parent: Element, room: string, name: string, attrs: Record<string, string> = {}): VideocallRoomElement {
  const el = document.createElement('videocall-room');
  for (const [attr, value] of Object.entries({ server: relays.open, room, name, manual: '', mic: 'off', ...attrs })) {
    el.setAttribute(attr, value);
  }
  parent.append(el);
  return el;
}

/** Every vc-* event an element fires that says someone came or went, by type. */
function record(el: VideocallRoomElement): string[] {
  const seen: string[] = [];
  for (const type of ['vc-participant-joined', 'vc-participant-left', 'vc-left', 'vc-error', 'vc-joined'] as const) {
    el.addEventListener(type, () => seen.push(type));
  }
  return seen;
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));

function shadow(el: VideocallRoomElement): ShadowRoot {
  return el.shadowRoot!;
}

/** What a tile's video element shows now, as a data URL (a <video> or a <canvas>). */
function pictureOf(element: HTMLVideoElement | HTMLCanvasElement): string {
  const copy = document.createElement('canvas');
  copy.width = 64;
  copy.height = 36;
  copy.getContext('2d')!.drawImage(element, 0, 0, copy.width, copy.height);
  return copy.toDataURL();
}

describe('<videocall-room> moved in the page', () => {
  const containers: HTMLElement[] = [];
  afterEach(() => {
    for (const div of containers.splice(0)) div.remove();
  });

  it('keeps its call when re-parented: same session, still joined, no leave seen, video still flows and is drawn', async () => {
    const room = uniqueRoom();
    const [first, second, third] = [container(), container(), container()];
    containers.push(first, second, third);
    third.append(document.createElement('span')); // something to insert before
    const a = callIn(first, room, 'Ada');
    const b = callIn(document.body, room, 'Grace');
    containers.push(b);
    try {
      await a.join();
      await b.join();
      await waitUntil(
        () => (a.participants[0]?.framesDecoded ?? 0) > 0 && (b.participants[0]?.framesDecoded ?? 0) > 0,
        'no video either way',
        { timeout: 10000 },
      );
      const sessionId = a.roomClient!.sessionId;
      const bSaw = record(b);
      const aSaw = record(a);

      // Removed, then put back in another container in a later task, as some frameworks do.
      a.remove();
      await nextTask();
      second.append(a);
      // Moved while in the page: insertBefore into yet another container.
      third.insertBefore(a, third.firstChild);
      // Removed and put back on the next animation frame.
      a.remove();
      await nextFrame();
      first.append(a);
      // Well past any grace a removal gets.
      await new Promise((resolve) => setTimeout(resolve, 500));

      expect(a.isConnected).to.equal(true);
      expect(a.state).to.equal('joined');
      expect(a.roomClient!.sessionId).to.equal(sessionId);
      expect(a.roomClient!.state).to.equal('joined');
      expect(b.participants.map((p) => p.id)).to.deep.equal([sessionId]);
      expect(aSaw).to.deep.equal([]);
      expect(bSaw).to.deep.equal([]);

      // Grace's video is still decoded, and shown in her tile (a <video> fed by a track generator here).
      const before = a.participants[0]!.framesDecoded;
      await waitUntil(() => a.participants[0]!.framesDecoded > before + 5, 'no video from Grace after the moves', {
        timeout: 10000,
      });
      const remote = shadow(a).querySelector<HTMLVideoElement | HTMLCanvasElement>(
        '[part~="tile-remote"] [part~="video"]',
      )!;
      const picture = pictureOf(remote);
      await waitUntil(() => pictureOf(remote) !== picture, 'the remote tile is no longer drawn', { timeout: 5000 });
      // Ada's self-view plays again after being out of the page for a task.
      const video = shadow(a).querySelector<HTMLVideoElement>('[part~="tile-local"] video')!;
      await waitUntil(() => !video.paused, 'the self-view stayed paused', { timeout: 5000 });
      // The grid follows the stage's size again: in a narrower element the tiles shrink to fit.
      const tile = shadow(a).querySelector<HTMLElement>('[part~="tile-local"]')!;
      expect(tile.getBoundingClientRect().width).to.be.above(320);
      a.style.width = '320px';
      await waitUntil(() => tile.getBoundingClientRect().width <= 320 - 16, 'the grid did not follow a resize');
      // Ada's own video still reaches Grace.
      const graceBefore = b.participants[0]!.framesDecoded;
      await waitUntil(() => b.participants[0]!.framesDecoded > graceBefore + 5, 'no video from Ada after the moves', {
        timeout: 10000,
      });
    } finally {
      a.leave();
      b.leave();
    }
  });

  it('leaves when removed and not put back: the other side sees it leave, the camera is released', async () => {
    const room = uniqueRoom();
    const a = callIn(container(), room, 'Ada');
    const b = callIn(container(), room, 'Grace', { camera: 'off' });
    containers.push(a.parentElement!, b.parentElement!);
    try {
      await a.join();
      await b.join();
      await waitUntil(() => b.participants.length === 1, 'Grace never saw Ada');
      const sessionId = a.roomClient!.sessionId;
      const track = a.roomClient!.local.videoTrack!;
      const gone = oneEvent(b, 'vc-participant-left') as Promise<VcParticipantLeftEvent>;
      const left = oneEvent(a, 'vc-left') as Promise<VcLeftEvent>;
      a.remove();
      expect((await left).reason).to.equal('left');
      expect(a.state).to.equal('left');
      expect(track.readyState).to.equal('ended');
      const event = await gone;
      expect(event.participant.id).to.equal(sessionId);
      expect(event.reason).to.equal('left');
      expect(b.participants).to.deep.equal([]);
    } finally {
      a.leave();
      b.leave();
    }
  });
});
