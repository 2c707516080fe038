/// <reference types="mocha" />
import { expect, oneEvent, waitUntil } from '@open-wc/testing';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import type { VcDeviceChangedEvent } from '../../../src/element/device-events.js';
import { STORAGE_KEY } from '../../../src/element/device-preferences.js';
import '../collect-garbage.js';

// The runner starts Chromium with three fake cameras (the third an MJPEG one), two fake mics and two fake speakers.
interface Relays {
  open: string;
}
const relays: Relays = await (await fetch('/__relays.json')).json();
let counter = 0;
const uniqueRoom = () => `wtr-devices-${Date.now().toString(36)}-${counter++}`;

function call(room: string, name: string, attrs: Record<string, string> = {}): VideocallRoomElement {
  const el = document.createElement('videocall-room');
  for (const [attr, value] of Object.entries({ server: relays.open, room, name, manual: '', mic: 'off', ...attrs })) {
    el.setAttribute(attr, value);
  }
  el.style.cssText = 'width: 640px; height: 400px';
  document.body.append(el);
  return el;
}

async function devices(kind: MediaDeviceKind): Promise<MediaDeviceInfo[]> {
  return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === kind && d.deviceId);
}

function pictureOf(element: HTMLVideoElement | HTMLCanvasElement): string {
  const copy = document.createElement('canvas');
  copy.width = 64;
  copy.height = 36;
  copy.getContext('2d')!.drawImage(element, 0, 0, copy.width, copy.height);
  return copy.toDataURL();
}

/** `viewer` sees `sender`'s video live: more frames decoded, and its tile's picture changing. */
async function seesLiveVideo(viewer: VideocallRoomElement, what: string): Promise<void> {
  const before = viewer.participants[0]?.framesDecoded ?? 0;
  await waitUntil(() => (viewer.participants[0]?.framesDecoded ?? 0) > before + 5, `${what}: no new frames`, {
    timeout: 10000,
  });
  const tile = viewer.shadowRoot!.querySelector<HTMLVideoElement | HTMLCanvasElement>(
    '[part~="tile-remote"] [part~="video"]',
  )!;
  const first = pictureOf(tile);
  await waitUntil(() => pictureOf(tile) !== first, `${what}: the tile is frozen`, { timeout: 8000 });
}

const stored = () => JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, string>;
const cameraInUse = (el: VideocallRoomElement) => el.roomClient!.local.videoTrack?.getSettings().deviceId;

describe('<videocall-room> devices', function () {
  this.timeout(60000);
  const elements: VideocallRoomElement[] = [];
  beforeEach(() => localStorage.removeItem(STORAGE_KEY));
  afterEach(() => {
    for (const el of elements.splice(0)) {
      el.leave();
      el.remove();
    }
    localStorage.removeItem(STORAGE_KEY);
  });

  it('the settings panel lists cameras, mics and speakers; switching the camera there keeps the video live and is remembered', async () => {
    const room = uniqueRoom();
    const ada = call(room, 'Ada');
    const grace = call(room, 'Grace', { camera: 'off' });
    elements.push(ada, grace);
    await ada.join();
    await grace.join();
    await seesLiveVideo(grace, 'before the switch');
    const shadow = ada.shadowRoot!;

    shadow.querySelector<HTMLButtonElement>('[part~="settings-button"]')!.click();
    await waitUntil(() => shadow.querySelector('[part~="settings"]'), 'no settings panel');
    const cameraSelect = shadow.querySelector<HTMLSelectElement>('[part~="camera-select"]')!;
    await waitUntil(() => cameraSelect.options.length === 3, 'the camera picker does not list the three cameras');
    expect(shadow.querySelector<HTMLSelectElement>('[part~="mic-select"]')!.options.length).to.be.at.least(2);
    expect(shadow.querySelector<HTMLSelectElement>('[part~="speaker-select"]')!.options.length).to.be.at.least(2);
    // Labels, since permission was granted by the join.
    expect([...cameraSelect.options].map((o) => o.text)).to.deep.equal([
      'fake_device_0',
      'fake_device_1',
      'fake_device_2',
    ]);
    // The picker shows the camera in use; focus went into the panel.
    expect(cameraSelect.value).to.equal(cameraInUse(ada));
    expect(shadow.activeElement).to.equal(cameraSelect);

    // The third fake camera (MJPEG); the second is a depth camera without a picture.
    const other = cameraSelect.options[2]!;
    const changed = oneEvent(ada, 'vc-device-changed') as Promise<VcDeviceChangedEvent>;
    cameraSelect.value = other.value;
    cameraSelect.dispatchEvent(new Event('change'));
    const event = await changed;
    expect([event.kind, event.deviceId, event.label, event.reason]).to.deep.equal([
      'camera',
      other.value,
      other.text,
      'selected',
    ]);
    expect(cameraInUse(ada)).to.equal(other.value);
    expect(ada.camera).to.equal('on');
    await seesLiveVideo(grace, 'after the switch');
    // Ada's self-view shows the new camera.
    const self = shadow.querySelector<HTMLVideoElement>('[part~="tile-local"] video')!;
    expect((self.srcObject as MediaStream).getVideoTracks()[0]!.getSettings().deviceId).to.equal(other.value);

    // Remembered for the site: a new element on this site starts with it.
    expect(stored().camera).to.equal(other.value);
    const later = call(uniqueRoom(), 'Ada again');
    elements.push(later);
    expect(later.selectedDevices.camera).to.equal(other.value);
    await later.join();
    expect(cameraInUse(later)).to.equal(other.value);

    // Escape closes the panel and gives focus back to its button.
    cameraSelect.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await waitUntil(() => !shadow.querySelector('[part~="settings"]'), 'Escape did not close the panel');
    expect(shadow.activeElement).to.equal(shadow.querySelector('[part~="settings-button"]'));
  });

  it('unplugging the camera in use falls back to the other one, not a frozen tile', async () => {
    const cameras = await devices('videoinput');
    expect(cameras).to.have.length(3);
    const room = uniqueRoom();
    const ada = call(room, 'Ada');
    const grace = call(room, 'Grace', { camera: 'off' });
    elements.push(ada, grace);
    // Chosen before joining: the join opens it.
    await ada.selectDevice('camera', cameras[2]!.deviceId);
    await ada.join();
    await grace.join();
    expect(cameraInUse(ada)).to.equal(cameras[2]!.deviceId);
    await seesLiveVideo(grace, 'before the unplug');

    // An unplug as the browser reports it: the track ends (stop() alone fires no `ended`).
    const changed = oneEvent(ada, 'vc-device-changed') as Promise<VcDeviceChangedEvent>;
    const track = ada.roomClient!.local.videoTrack!;
    track.stop();
    track.dispatchEvent(new Event('ended'));
    const event = await changed;
    expect([event.kind, event.deviceId, event.reason]).to.deep.equal(['camera', cameras[0]!.deviceId, 'fallback']);
    expect(ada.camera).to.equal('on');
    expect(cameraInUse(ada)).to.equal(cameras[0]!.deviceId);
    await seesLiveVideo(grace, 'after the unplug');
  });

  it('a camera that is not there is refused with camera-missing, and the one in use stays live', async () => {
    const room = uniqueRoom();
    const ada = call(room, 'Ada');
    const grace = call(room, 'Grace', { camera: 'off' });
    elements.push(ada, grace);
    await ada.join();
    await grace.join();
    const before = cameraInUse(ada);
    const failure = await ada.selectDevice('camera', 'no-such-camera').then(
      () => null,
      (error: unknown) => error as { code?: string },
    );
    expect(failure?.code).to.equal('camera-missing');
    expect(cameraInUse(ada)).to.equal(before);
    expect(stored().camera).to.equal(undefined);
    await seesLiveVideo(grace, 'after the refused switch');
  });

  it('switches the speaker (AudioContext.setSinkId) and the call still plays', async () => {
    const speakers = (await devices('audiooutput')).filter((d) => d.deviceId !== 'default');
    expect(speakers.length).to.be.at.least(1);
    const room = uniqueRoom();
    const ada = call(room, 'Ada', { camera: 'off' });
    const grace = call(room, 'Grace', { camera: 'off', mic: 'on' });
    elements.push(ada, grace);
    await ada.join();
    await grace.join();
    await waitUntil(() => (ada.participants[0]?.audioLevel ?? 0) > 0.001, 'no audio from Grace', { timeout: 10000 });
    const changed = oneEvent(ada, 'vc-device-changed') as Promise<VcDeviceChangedEvent>;
    await ada.selectDevice('speaker', speakers[0]!.deviceId);
    const event = await changed;
    expect([event.kind, event.deviceId, event.label, event.reason]).to.deep.equal([
      'speaker',
      speakers[0]!.deviceId,
      speakers[0]!.label,
      'selected',
    ]);
    expect(ada.selectedDevices.speaker).to.equal(speakers[0]!.deviceId);
    expect(stored().speaker).to.equal(speakers[0]!.deviceId);
    // Still heard through the new output: levels keep coming from the playout.
    const level = () => ada.participants[0]?.audioLevel ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await waitUntil(() => level() > 0.001, 'silence after switching the speaker', { timeout: 5000 });
  });

  it('ignores damaged or foreign stored choices', async () => {
    localStorage.setItem(STORAGE_KEY, '{"camera": 42, "mic": "' + 'x'.repeat(5000) + '", "speaker": ""}');
    const el = call(uniqueRoom(), 'Ada');
    elements.push(el);
    expect(el.selectedDevices).to.deep.equal({ camera: '', mic: '', speaker: '' });
    localStorage.setItem(STORAGE_KEY, 'not json');
    const again = call(uniqueRoom(), 'Ada');
    elements.push(again);
    expect(again.selectedDevices).to.deep.equal({ camera: '', mic: '', speaker: '' });
  });
});
