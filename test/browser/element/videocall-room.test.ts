/// <reference types="mocha" />
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import { forgetCodecSupport } from '../../../src/codec/codec-support.js';
import type {
  VcErrorEvent,
  VcJoinedEvent,
  VcParticipantJoinedEvent,
  VcParticipantLeftEvent,
} from '../../../src/element/events.js';
import '../collect-garbage.js';

interface Relays {
  open: string;
  tiny: string;
}
const relays: Relays = await (await fetch('/__relays.json')).json();
let roomCounter = 0;
const uniqueRoom = () => `wtr-${Date.now().toString(36)}-${roomCounter++}`;

function shadow(el: VideocallRoomElement): ShadowRoot {
  return el.shadowRoot!;
}

describe('<videocall-room>', () => {
  it('is defined by the bundle and reflects its attributes', async () => {
    const el = await fixture<VideocallRoomElement>(html`<videocall-room manual camera="off"></videocall-room>`);
    expect(customElements.get('videocall-room')).to.equal(el.constructor);
    expect(el.camera).to.equal('off');
    expect(el.mic).to.equal('on');
    expect(el.transport).to.equal('auto');
    el.room = 'reflected';
    el.name = 'Ada';
    await el.updateComplete;
    expect(el.getAttribute('room')).to.equal('reflected');
    expect(el.getAttribute('name')).to.equal('Ada');
    expect(el.state).to.equal('idle');
  });

  it('asks for a room when it has none', async () => {
    const el = await fixture<VideocallRoomElement>(html`<videocall-room></videocall-room>`);
    const overlay = shadow(el).querySelector('[part~="overlay"]');
    expect(overlay?.textContent).to.match(/set a room/i);
    expect(el.state).to.equal('idle');
  });

  it('joins by itself, fires vc-joined and shows the camera in the self-view', async () => {
    const el = document.createElement('videocall-room');
    el.setAttribute('server', relays.open);
    el.setAttribute('room', uniqueRoom());
    el.setAttribute('name', 'Ada');
    const joined = oneEvent(el, 'vc-joined') as Promise<VcJoinedEvent>;
    document.body.append(el);
    try {
      const event = await joined;
      expect(event.sessionId).to.match(/^[A-Za-z0-9_-]{8,}$/);
      // transport="auto": WebTransport where the relay offers it, else WebSocket (test/browser/element/transport.test.ts).
      expect(event.transport).to.be.oneOf(['websocket', 'webtransport']);
      expect(event.transport).to.equal(el.transportInUse);
      expect(event.bubbles && event.composed).to.equal(true);
      expect(el.state).to.equal('joined');
      const video = shadow(el).querySelector<HTMLVideoElement>('[part~="tile-local"] video')!;
      await waitUntil(() => video.videoWidth > 0, 'self-view never showed the camera', { timeout: 10000 });
      // vc-joined may come before the microphone has opened (joining does not wait for the devices).
      const micButton = () => shadow(el).querySelector('[part~="mic-button"]')?.getAttribute('aria-pressed');
      await waitUntil(() => micButton() === 'true', 'the mic button never showed the microphone on', {
        timeout: 10000,
      });
      // What the video is sent at: at most the camera's height, and why it is less if it is.
      await waitUntil(() => el.sendQuality !== null, 'sendQuality never said what is sent', { timeout: 10000 });
      const quality = el.sendQuality!;
      expect(quality.height).to.be.within(180, video.videoHeight);
      expect(quality.framerate).to.be.within(10, 30);
      if (quality.height === video.videoHeight && quality.framerate >= 20) expect(quality.limitedBy).to.equal(null);
      else expect(quality.limitedBy).to.be.oneOf(['cpu', 'network']);
    } finally {
      el.remove();
    }
  });

  it('tells each element about the other, lists participants, and reports leaving', async () => {
    const room = uniqueRoom();
    const a = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${room} name="Ada" manual></videocall-room>`,
    );
    const b = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${room} name="Grace" manual mic="off"></videocall-room>`,
    );
    try {
      await a.join();
      const seen = oneEvent(a, 'vc-participant-joined') as Promise<VcParticipantJoinedEvent>;
      await b.join();
      expect((await seen).participant.name).to.equal('Grace');
      expect(a.participants.map((p) => p.name)).to.deep.equal(['Grace']);
      expect(a.participants[0]!.mic).to.equal(false);
      expect(b.participants.map((p) => p.name)).to.deep.equal(['Ada']);
      await waitUntil(() => shadow(a).querySelectorAll('[part~="tile-remote"]').length === 1, 'no remote tile');
      const gone = oneEvent(a, 'vc-participant-left') as Promise<VcParticipantLeftEvent>;
      const left = oneEvent(b, 'vc-left');
      b.leave();
      expect(((await left) as unknown as { reason: string }).reason).to.equal('left');
      const leftEvent = await gone;
      expect(leftEvent.participant.name).to.equal('Grace');
      expect(leftEvent.reason).to.equal('left');
      expect(a.participants).to.deep.equal([]);
      expect(b.state).to.equal('left');
    } finally {
      a.leave();
      b.leave();
    }
  });

  it('mutes and unmutes the microphone and tells the others', async () => {
    const room = uniqueRoom();
    const a = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${room} name="Ada" manual camera="off"></videocall-room>`,
    );
    const b = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${room} name="Grace" manual camera="off"></videocall-room>`,
    );
    try {
      await a.join();
      await b.join();
      await waitUntil(() => b.participants.length === 1 && b.participants[0]!.mic, 'Ada not heard as unmuted');
      shadow(a).querySelector<HTMLButtonElement>('[part~="mic-button"]')!.click();
      await waitUntil(() => !b.participants[0]!.mic, 'mute never reached the other element');
      await a.updateComplete;
      expect(shadow(a).querySelector('[part~="mic-button"]')?.getAttribute('aria-pressed')).to.equal('false');
      await waitUntil(
        () => shadow(b).querySelector('[part~="tile-remote"] [part~="mic-off"]'),
        'no muted indicator on the tile',
      );
      shadow(a).querySelector<HTMLButtonElement>('[part~="mic-button"]')!.click();
      await waitUntil(() => b.participants[0]!.mic, 'unmute never reached the other element');
    } finally {
      a.leave();
      b.leave();
    }
  });

  it('turns the camera off (releasing it) and on again, and the other side sees it', async () => {
    const room = uniqueRoom();
    const a = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${room} name="Ada" manual mic="off"></videocall-room>`,
    );
    const b = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${room} name="Grace" manual mic="off"></videocall-room>`,
    );
    try {
      await a.join();
      await b.join();
      await waitUntil(() => b.participants[0]?.framesDecoded > 0, 'no video from Ada', { timeout: 10000 });
      const track = a.roomClient!.local.videoTrack!;
      shadow(a).querySelector<HTMLButtonElement>('[part~="camera-button"]')!.click();
      await waitUntil(() => b.participants[0]?.camera === false, 'camera-off never reached the other element');
      expect(track.readyState).to.equal('ended');
      await waitUntil(
        () => shadow(b).querySelector('[part~="tile-remote"] [part~="avatar"]')?.textContent === 'A',
        'no avatar on the remote tile',
      );
      const before = b.participants[0]!.framesDecoded;
      shadow(a).querySelector<HTMLButtonElement>('[part~="camera-button"]')!.click();
      await waitUntil(() => b.participants[0]?.camera === true, 'camera-on never reached the other element');
      await waitUntil(() => b.participants[0]!.framesDecoded > before + 5, 'video did not come back', {
        timeout: 10000,
      });
      expect(shadow(b).querySelector('[part~="tile-remote"] [part~="avatar"]')).to.equal(null);
    } finally {
      a.leave();
      b.leave();
    }
  });

  it('follows attribute changes: mic="off" mutes, a new room moves the call there', async () => {
    const [first, second] = [uniqueRoom(), uniqueRoom()];
    const other = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${second} name="Grace" manual camera="off"></videocall-room>`,
    );
    await other.join();
    const el = document.createElement('videocall-room');
    el.setAttribute('server', relays.open);
    el.setAttribute('camera', 'off');
    el.setAttribute('name', 'Ada');
    el.setAttribute('room', first);
    const joined = oneEvent(el, 'vc-joined');
    document.body.append(el);
    try {
      await joined;
      el.setAttribute('mic', 'off');
      await waitUntil(() => el.roomClient?.local.state.mic === false, 'mic attribute did not mute');
      const left = oneEvent(el, 'vc-left');
      const rejoined = oneEvent(el, 'vc-joined') as Promise<VcJoinedEvent>;
      el.setAttribute('room', second);
      await left;
      expect((await rejoined).room).to.equal(second);
      await waitUntil(() => other.participants.some((p) => p.name === 'Ada'), 'Grace never saw Ada arrive');
      expect(el.participants.map((p) => p.name)).to.deep.equal(['Grace']);
    } finally {
      el.remove();
      other.leave();
    }
  });

  it('reports an unreachable relay with relay-unreachable and says so', async () => {
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room server="http://127.0.0.1:9" room="nowhere" manual></videocall-room>`,
    );
    const error = oneEvent(el, 'vc-error') as Promise<VcErrorEvent>;
    const joining = el.join().then(
      () => 'joined',
      (e: { code: string }) => e.code,
    );
    const event = await error;
    expect(event.code).to.equal('relay-unreachable');
    expect(event.fatal).to.equal(true);
    expect(await joining).to.equal('relay-unreachable');
    expect(el.state).to.equal('left');
    await el.updateComplete;
    expect(shadow(el).querySelector('[part~="overlay"]')?.textContent).to.match(/relay/i);
    expect(shadow(el).querySelector('[part~="action"]')?.textContent).to.match(/try again/i);
  });

  it('refuses a bad room name before connecting', async () => {
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room="no spaces!" manual></videocall-room>`,
    );
    const error = oneEvent(el, 'vc-error') as Promise<VcErrorEvent>;
    void el.join().catch(() => undefined);
    expect((await error).code).to.equal('invalid-room');
  });

  it('reports a full room with room-full', async () => {
    const room = uniqueRoom();
    const first = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.tiny} room=${room} manual camera="off" mic="off"></videocall-room>`,
    );
    const second = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.tiny} room=${room} manual camera="off" mic="off"></videocall-room>`,
    );
    try {
      await first.join();
      const error = oneEvent(second, 'vc-error') as Promise<VcErrorEvent>;
      void second.join().catch(() => undefined);
      const event = await error;
      expect(event.code).to.equal('room-full');
      expect(event.message).to.match(/full/i);
      expect(second.state).to.equal('left');
    } finally {
      first.leave();
    }
  });

  it('joins without video when the camera is denied, and says why', async () => {
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    // What Chromium does when the person clicks "Block" for the camera.
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      if (constraints?.video) throw new DOMException('Permission denied', 'NotAllowedError');
      return original(constraints);
    };
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${uniqueRoom()} name="Ada" manual></videocall-room>`,
    );
    try {
      const error = oneEvent(el, 'vc-error') as Promise<VcErrorEvent>;
      await el.join();
      const event = await error;
      expect(event.code).to.equal('camera-denied');
      expect(event.fatal).to.equal(false);
      expect(el.state).to.equal('joined');
      await el.updateComplete;
      expect(shadow(el).querySelector('[part~="camera-button"]')?.getAttribute('aria-pressed')).to.equal('false');
      expect(shadow(el).querySelector('[part~="tile-local"] [part~="avatar"]')?.textContent).to.equal('A');
    } finally {
      navigator.mediaDevices.getUserMedia = original;
      el.leave();
    }
  });

  it('falls back to another codec when the forced one is unsupported, and says so', async () => {
    const original = VideoEncoder.isConfigSupported.bind(VideoEncoder);
    const originalDecoder = VideoDecoder.isConfigSupported.bind(VideoDecoder);
    // A browser without an AV1 encoder or decoder.
    VideoEncoder.isConfigSupported = async (config) =>
      config.codec.startsWith('av01') ? { supported: false, config } : original(config);
    VideoDecoder.isConfigSupported = async (config) =>
      config.codec.startsWith('av01') ? { supported: false, config } : originalDecoder(config);
    // That other browser has nothing remembered of this one's answers (earlier tests probed here).
    forgetCodecSupport();
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${uniqueRoom()} codec="av1" manual mic="off"></videocall-room>`,
    );
    try {
      const error = oneEvent(el, 'vc-error') as Promise<VcErrorEvent>;
      await el.join();
      expect((await error).code).to.equal('codec-unsupported');
      expect(el.state).to.equal('joined');
      expect(el.roomClient?.videoCodec).to.not.equal('av1');
    } finally {
      VideoEncoder.isConfigSupported = original;
      VideoDecoder.isConfigSupported = originalDecoder;
      forgetCodecSupport();
      el.leave();
    }
  });

  it('leaving while still joining never joins and releases the devices', async () => {
    const room = uniqueRoom();
    const watcher = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${room} manual camera="off" mic="off"></videocall-room>`,
    );
    await watcher.join();
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${room} manual></videocall-room>`,
    );
    try {
      let joinedEvents = 0;
      el.addEventListener('vc-joined', () => joinedEvents++);
      const joining = el.join();
      el.leave();
      await joining;
      // Give a late Welcome every chance to arrive.
      await new Promise((r) => setTimeout(r, 1000));
      expect(joinedEvents).to.equal(0);
      expect(el.state).to.equal('left');
      expect(el.roomClient?.local.videoTrack ?? null).to.equal(null);
      expect(watcher.participants).to.deep.equal([]);
    } finally {
      watcher.leave();
    }
  });

  it('releases the camera when removed from the page', async () => {
    const el = await fixture<VideocallRoomElement>(
      html`<videocall-room server=${relays.open} room=${uniqueRoom()} manual></videocall-room>`,
    );
    await el.join();
    const track = el.roomClient!.local.videoTrack!;
    expect(track.readyState).to.equal('live');
    // It leaves once it has stayed out of the page for a moment (a move keeps the call: reparent.test.ts).
    const left = oneEvent(el, 'vc-left');
    el.remove();
    await left;
    expect(track.readyState).to.equal('ended');
    expect(el.state).to.equal('left');
  });
});
