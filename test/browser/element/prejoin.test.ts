/// <reference types="mocha" />
import { expect, oneEvent, waitUntil as waitUntilWithin } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import { loadAxe, violations } from './axe.js';
import type { VcPrejoinEvent } from '../../../src/element/prejoin-events.js';
import { STORAGE_KEY } from '../../../src/element/device-preferences.js';
import { NAME_STORAGE_KEY } from '../../../src/element/remembered-name.js';
import '../collect-garbage.js';

// The runner starts Chromium with three fake cameras (the second a depth camera without a picture), two fake mics.
interface Relays {
  open: string;
}

/** Joining and opening devices take seconds on a busy machine: 20 s unless told. */
const waitUntil = (condition: () => unknown, message?: string, options: { timeout?: number } = {}): Promise<void> =>
  waitUntilWithin(condition, message, { timeout: 20000, ...options });

const relays: Relays = await (await fetch('/__relays.json')).json();
let counter = 0;
const uniqueRoom = () => `wtr-prejoin-${Date.now().toString(36)}-${counter++}`;

await loadAxe();

/** An element as a page writes it (joining by itself: no `manual`). */
function call(attrs: Record<string, string>): VideocallRoomElement {
  const el = document.createElement('videocall-room');
  for (const [attr, value] of Object.entries({ server: relays.open, ...attrs })) el.setAttribute(attr, value);
  el.style.cssText = 'width: 640px; height: 480px';
  document.body.append(el);
  return el;
}

/** The pre-join screen's shadow root, once it is shown. */
async function prejoinOf(el: VideocallRoomElement): Promise<ShadowRoot> {
  await waitUntil(() => el.shadowRoot!.querySelector('videocall-prejoin')?.shadowRoot, 'no pre-join screen', {
    timeout: 10000,
  });
  const panel = el.shadowRoot!.querySelector('videocall-prejoin')!;
  await (panel as unknown as { updateComplete: Promise<unknown> }).updateComplete;
  return panel.shadowRoot!;
}

function pictureOf(element: HTMLVideoElement | HTMLCanvasElement): { spread: number; print: string } {
  const copy = document.createElement('canvas');
  copy.width = 64;
  copy.height = 36;
  const ctx = copy.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(element, 0, 0, copy.width, copy.height);
  const { data } = ctx.getImageData(0, 0, copy.width, copy.height);
  const luma: number[] = [];
  for (let i = 0; i < data.length; i += 4) luma.push(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
  const mean = luma.reduce((a, b) => a + b, 0) / luma.length;
  const spread = Math.sqrt(luma.reduce((a, b) => a + (b - mean) ** 2, 0) / luma.length);
  return { spread, print: copy.toDataURL() };
}

/** The preview shows a live camera picture: not flat, and changing. */
async function previewIsLive(root: ShadowRoot): Promise<void> {
  const video = root.querySelector<HTMLVideoElement>('[part~="prejoin-video"]')!;
  await waitUntil(() => !video.hidden && video.videoWidth > 0, 'the preview shows no video', { timeout: 10000 });
  await waitUntil(() => pictureOf(video).spread > 5, 'the preview is blank', { timeout: 5000 });
  const first = pictureOf(video).print;
  await waitUntil(() => pictureOf(video).print !== first, 'the preview is frozen', { timeout: 5000 });
}

/** `viewer` sees `sender`'s video live: more frames decoded. */
async function seesLiveVideo(viewer: VideocallRoomElement): Promise<void> {
  await waitUntil(() => (viewer.participants[0]?.framesDecoded ?? 0) > 5, 'no video decoded', { timeout: 15000 });
}

describe('<videocall-room> pre-join screen', function () {
  this.timeout(60000);
  const elements: VideocallRoomElement[] = [];
  beforeEach(() => {
    localStorage.removeItem(NAME_STORAGE_KEY);
    localStorage.removeItem(STORAGE_KEY);
  });
  afterEach(() => {
    for (const el of elements.splice(0)) {
      el.leave();
      el.remove();
    }
    localStorage.removeItem(NAME_STORAGE_KEY);
    localStorage.removeItem(STORAGE_KEY);
  });

  it('previews the camera before any relay connection (there is no relay at all here)', async () => {
    // Nothing listens on port 9: the preview needs none.
    const el = call({ server: 'http://127.0.0.1:9', room: uniqueRoom(), prejoin: '', name: 'Ada', mic: 'off' });
    elements.push(el);
    const shown = (await oneEvent(el, 'vc-prejoin')) as VcPrejoinEvent;
    expect(shown.reason).to.equal('prejoin');
    const root = await prejoinOf(el);
    await previewIsLive(root);
    expect(el.state).to.equal('idle');
    // Prefilled from `name`; focus in the name field.
    const input = root.querySelector<HTMLInputElement>('[part~="prejoin-name"]')!;
    expect(input.value).to.equal('Ada');
    await waitUntil(() => root.activeElement === input, 'focus is not in the name field');
    expect(el.shadowRoot!.activeElement?.localName).to.equal('videocall-prejoin');
    // Leaving from the pre-join screen turns the camera off.
    const track = el.roomClient!.local.videoTrack!;
    el.leave();
    expect(track.readyState).to.equal('ended');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('videocall-prejoin')).to.equal(null);
  });

  it('shows when name is missing; an empty name cannot join and says why; Enter joins and the other side sees that name', async () => {
    const room = uniqueRoom();
    const grace = call({ room, name: 'Grace', camera: 'off', mic: 'off' });
    elements.push(grace);
    await waitUntil(() => grace.state === 'joined', 'Grace did not join');

    const ada = call({ room, mic: 'off' });
    elements.push(ada);
    const shown = (await oneEvent(ada, 'vc-prejoin')) as VcPrejoinEvent;
    expect(shown.reason).to.equal('no-name');
    const root = await prejoinOf(ada);
    await previewIsLive(root);
    // Ada is not in the call yet: Grace sees nobody.
    expect(grace.participants).to.deep.equal([]);
    const previewTrack = ada.roomClient!.local.videoTrack;

    // Enter with no name: nothing joins, and the field says why.
    const input = root.querySelector<HTMLInputElement>('[part~="prejoin-name"]')!;
    await waitUntil(() => root.activeElement === input, 'focus is not in the name field');
    await sendKeys({ press: 'Enter' });
    const error = root.querySelector('[part~="prejoin-error"]')!;
    await waitUntil(() => error.textContent!.trim() === 'Enter your name to join.', 'no reason given');
    expect(error.getAttribute('role')).to.equal('alert');
    expect(input.getAttribute('aria-invalid')).to.equal('true');
    expect(ada.state).to.equal('idle');

    const joined = oneEvent(ada, 'vc-joined');
    await sendKeys({ type: 'Ada Lovelace' });
    await sendKeys({ press: 'Enter' });
    await joined;
    expect(ada.name).to.equal('Ada Lovelace');
    await waitUntil(() => grace.participants[0]?.name === 'Ada Lovelace', 'Grace does not see Ada by name');
    const label = grace.shadowRoot!.querySelector('[part~="tile-remote"] [part~="label"]')!;
    expect(label.textContent).to.contain('Ada Lovelace');
    await seesLiveVideo(grace);
    // The call sends the camera the preview opened: not opened a second time.
    expect(ada.roomClient!.local.videoTrack).to.equal(previewTrack);
    expect(ada.shadowRoot!.querySelector('videocall-prejoin')).to.equal(null);

    // Remembered for the site: next time the field is prefilled.
    const again = call({ room: uniqueRoom(), mic: 'off', camera: 'off' });
    elements.push(again);
    const next = await prejoinOf(again);
    expect(next.querySelector<HTMLInputElement>('[part~="prejoin-name"]')!.value).to.equal('Ada Lovelace');
  });

  it('mic turned off in pre-join: joins muted, and the other side sees it muted; the level meter hears the mic before', async () => {
    const room = uniqueRoom();
    const grace = call({ room, name: 'Grace', camera: 'off', mic: 'off' });
    elements.push(grace);
    await waitUntil(() => grace.state === 'joined', 'Grace did not join');

    const ada = call({ room, name: 'Ada', prejoin: '', camera: 'off' });
    elements.push(ada);
    const root = await prejoinOf(ada);
    // The fake microphone beeps: the meter moves.
    const meter = () => root.querySelector('[part~="prejoin-level"]');
    // The first microphone can take seconds to open on a busy machine.
    await waitUntil(() => Number(meter()?.getAttribute('aria-valuenow') ?? 0) > 0, 'the mic meter never moved', {
      timeout: 25000,
    });
    const micToggle = root.querySelector<HTMLButtonElement>('[part~="prejoin-mic"]')!;
    expect(micToggle.getAttribute('aria-pressed')).to.equal('true');
    micToggle.click();
    await waitUntil(() => micToggle.getAttribute('aria-pressed') === 'false', 'the mic toggle did not turn off');
    expect(ada.mic).to.equal('off');
    await waitUntil(() => meter()?.getAttribute('aria-valuenow') === '0', 'the meter still moves with the mic off');

    root.querySelector<HTMLButtonElement>('[part~="prejoin-join"]')!.click();
    await waitUntil(() => ada.state === 'joined', 'Ada did not join');
    await waitUntil(() => grace.participants[0]?.name === 'Ada', 'Grace does not see Ada');
    expect(grace.participants[0]!.mic).to.equal(false);
    expect(grace.shadowRoot!.querySelector('[part~="tile-remote"] [part~="mic-off"]')).to.not.equal(null);
    // Muted in the call: the control bar shows the mic off, and the microphone is kept (not reopened) for unmuting.
    const micButton = ada.shadowRoot!.querySelector('[part~="mic-button"]')!;
    expect(micButton.getAttribute('aria-pressed')).to.equal('false');
    ada.shadowRoot!.querySelector<HTMLButtonElement>('[part~="mic-button"]')!.click();
    await waitUntil(() => grace.participants[0]?.mic === true, 'unmuting in the call did not reach Grace');
  });

  it('the camera chosen in pre-join is the camera the call sends', async () => {
    const room = uniqueRoom();
    const grace = call({ room, name: 'Grace', camera: 'off', mic: 'off' });
    elements.push(grace);
    await waitUntil(() => grace.state === 'joined', 'Grace did not join');

    const ada = call({ room, name: 'Ada', prejoin: '', mic: 'off' });
    elements.push(ada);
    const root = await prejoinOf(ada);
    await previewIsLive(root);
    const select = root.querySelector<HTMLSelectElement>('[part~="camera-select"]')!;
    await waitUntil(() => select.options.length === 3, 'the camera picker does not list the three cameras');
    // The third fake camera (MJPEG); the second is a depth camera without a picture.
    const chosen = select.options[2]!.value;
    expect(ada.roomClient!.local.videoTrack!.getSettings().deviceId).to.not.equal(chosen);
    select.value = chosen;
    select.dispatchEvent(new Event('change'));
    await waitUntil(
      () => ada.roomClient!.local.videoTrack?.getSettings().deviceId === chosen,
      'the preview did not switch camera',
    );
    await previewIsLive(root);
    const previewTrack = ada.roomClient!.local.videoTrack;

    root.querySelector<HTMLButtonElement>('[part~="prejoin-join"]')!.click();
    await waitUntil(() => ada.state === 'joined', 'Ada did not join');
    expect(ada.roomClient!.local.videoTrack).to.equal(previewTrack);
    expect(ada.selectedDevices.camera).to.equal(chosen);
    await seesLiveVideo(grace);
    // The self-view in the call shows that camera too.
    const self = ada.shadowRoot!.querySelector<HTMLVideoElement>('[part~="tile-local"] video')!;
    await waitUntil(
      () => (self.srcObject as MediaStream | null)?.getVideoTracks()[0]?.getSettings().deviceId === chosen,
    );
  });

  it('has no axe violations, dark and light; every control is reachable by keyboard with a visible focus ring', async () => {
    const el = call({ room: uniqueRoom(), prejoin: '', name: 'Ada', mic: 'off' });
    elements.push(el);
    const root = await prejoinOf(el);
    await previewIsLive(root);
    for (const theme of ['dark', 'light'] as const) {
      el.theme = theme;
      await el.updateComplete;
      expect(await violations(el), theme).to.deep.equal([]);
    }
    // From the name field (where focus is), Tab goes through the pickers to Join; Shift+Tab to the toggles.
    const input = root.querySelector<HTMLInputElement>('[part~="prejoin-name"]')!;
    await waitUntil(() => root.activeElement === input, 'focus is not in the name field');
    const walk = async (key: string, steps: number): Promise<string[]> => {
      const seen: string[] = [];
      for (let i = 0; i < steps; i++) {
        await sendKeys({ press: key });
        const focused = root.activeElement as HTMLElement | null;
        expect(focused, `${key} ${i + 1} left the screen`).to.not.equal(null);
        seen.push(focused!.getAttribute('part')!.split(' ').pop()!);
        const style = getComputedStyle(focused!);
        expect(style.outlineStyle, `focus ring on ${seen.at(-1)}`).to.equal('solid');
        expect(parseFloat(style.outlineWidth)).to.be.at.least(2);
        expect(
          (
            focused!.getAttribute('aria-label') ??
            (focused as HTMLSelectElement).labels?.[0]?.textContent ??
            focused!.textContent ??
            ''
          ).trim(),
        ).to.not.equal('');
      }
      return seen;
    };
    expect(await walk('Tab', 4)).to.deep.equal(['camera-select', 'mic-select', 'speaker-select', 'prejoin-join']);
    input.focus();
    expect(await walk('Shift+Tab', 2)).to.deep.equal(['prejoin-camera', 'prejoin-mic']);
    // Space on the camera toggle turns the preview's camera off, and it says so.
    await sendKeys({ press: 'Tab' });
    await sendKeys({ press: 'Space' });
    await waitUntil(() => el.camera === 'off', 'Space on the camera toggle did nothing');
    await waitUntil(() => root.querySelector('[part~="prejoin-camera-off"]'), 'no camera-off sign');
    expect(await violations(el), 'camera off').to.deep.equal([]);
  });
});
