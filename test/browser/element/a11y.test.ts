/// <reference types="mocha" />
import { expect, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import { loadAxe, violations } from './axe.js';
import '../collect-garbage.js';

interface Relays {
  open: string;
}

const relays: Relays = await (await fetch('/__relays.json')).json();
let counter = 0;
const uniqueRoom = () => `wtr-a11y-${Date.now().toString(36)}-${counter++}`;

await loadAxe();

function call(room: string, name: string, attrs: Record<string, string> = {}, parent: Element = document.body) {
  const el = document.createElement('videocall-room');
  for (const [attr, value] of Object.entries({ server: relays.open, room, name, manual: '', mic: 'off', ...attrs })) {
    el.setAttribute(attr, value);
  }
  el.style.cssText = 'width: 640px; height: 420px';
  parent.append(el);
  return el;
}

const politeText = (el: VideocallRoomElement) =>
  el.shadowRoot!.querySelector('[part~="announcer"][role="status"]')?.textContent?.trim() ?? '';

describe('<videocall-room> accessibility and languages', function () {
  this.timeout(60000);
  const elements: HTMLElement[] = [];

  /** Ada (camera on) and Grace (camera off) joined in a room of their own, each seeing the other. */
  async function adaAndGrace(): Promise<[VideocallRoomElement, VideocallRoomElement]> {
    const room = uniqueRoom();
    const ada = call(room, 'Ada');
    const grace = call(room, 'Grace', { camera: 'off' });
    elements.push(ada, grace);
    await ada.join();
    await grace.join();
    await waitUntil(() => ada.participants.length === 1 && grace.participants.length === 1, 'no one met');
    return [ada, grace];
  }

  afterEach(() => {
    for (const el of elements.splice(0)) {
      (el as VideocallRoomElement).leave?.();
      el.remove();
    }
  });

  it('has no axe violations in the call, with the settings panel open, and when the call ended', async () => {
    const [ada, grace] = await adaAndGrace();
    for (const theme of ['dark', 'light']) {
      ada.theme = grace.theme = theme as 'dark' | 'light';
      await ada.updateComplete;
      expect(await violations(ada), `in the call, ${theme}`).to.deep.equal([]);
      expect(await violations(grace), `in the call, camera off, ${theme}`).to.deep.equal([]);
    }
    ada.shadowRoot!.querySelector<HTMLButtonElement>('[part~="settings-button"]')!.click();
    await waitUntil(() => ada.shadowRoot!.querySelector('[part~="settings"]'), 'no settings panel');
    expect(await violations(ada), 'settings open').to.deep.equal([]);
    // The settings panel's "Statistics": the stats panel takes its place.
    ada.shadowRoot!.querySelector<HTMLButtonElement>('[part~="stats-button"]')!.click();
    await waitUntil(
      () => ada.shadowRoot!.querySelector('videocall-stats-panel')?.shadowRoot?.querySelector('[part~="stats-table"]'),
      'no stats panel with its figures',
    );
    expect(await violations(ada), 'stats open').to.deep.equal([]);
    ada.leave();
    await waitUntil(() => ada.state === 'left');
    expect(await violations(ada), 'after leaving').to.deep.equal([]);
  });

  it('has no axe violations with the chat panel open, messages in it, in both themes', async () => {
    const [ada, grace] = await adaAndGrace();
    ada.shadowRoot!.querySelector<HTMLButtonElement>('[part~="chat-button"]')!.click();
    const panel = () => ada.shadowRoot!.querySelector('videocall-chat-panel')?.shadowRoot;
    await waitUntil(() => panel()?.querySelector('[part~="chat-input"]'), 'no chat panel');
    expect(await violations(ada), 'chat open, empty').to.deep.equal([]);
    await ada.sendMessage('Hello Grace');
    await grace.sendMessage('Hello Ada');
    await waitUntil(() => panel()?.querySelectorAll('[part~="chat-message"]').length === 2, 'no messages');
    for (const theme of ['dark', 'light']) {
      ada.theme = theme as 'dark' | 'light';
      await ada.updateComplete;
      expect(await violations(ada), `chat open, ${theme}`).to.deep.equal([]);
    }
  });

  it('is usable with the keyboard alone: every control in order, visible focus, Space and Enter act', async () => {
    const room = uniqueRoom();
    const before = document.createElement('button');
    before.textContent = 'before';
    document.body.append(before);
    elements.push(before);
    const ada = call(room, 'Ada');
    elements.push(ada);
    await ada.join();
    const shadow = ada.shadowRoot!;
    // Firefox puts a <video> in the Tab order (twice) unless told not to: the self-view is kept out of it.
    const videos = [...shadow.querySelectorAll('video')];
    expect(videos.length).to.be.at.least(1);
    for (const video of videos) expect(video.tabIndex, 'a <video> in the Tab order').to.equal(-1);
    before.focus();
    const order: string[] = [];
    // The bar as merged: devices, screen share (Chromium can share), settings, hand, people, chat, leave.
    const controls = [
      'mic-button',
      'camera-button',
      'screen-button',
      'settings-button',
      'hand-button',
      'people-button',
      'chat-button',
      'leave-button',
    ];
    for (let i = 0; i < controls.length; i++) {
      await sendKeys({ press: 'Tab' });
      const focused = shadow.activeElement as HTMLElement | null;
      expect(focused, `Tab ${i + 1} did not land in the element`).to.not.equal(null);
      order.push(focused!.getAttribute('part')!.split(' ')[1]!);
      // A visible focus ring, in the accent colour, not the browser's default only.
      const style = getComputedStyle(focused!);
      expect(style.outlineStyle, `focus ring on ${order[i]}`).to.equal('solid');
      expect(parseFloat(style.outlineWidth)).to.be.at.least(2);
      // Every control has a name for assistive technology.
      expect((focused!.getAttribute('aria-label') ?? focused!.textContent ?? '').trim()).to.not.equal('');
    }
    expect(order).to.deep.equal(controls);

    // Back to the camera (Shift+Tab from Leave) and turn it off with Space, on with Enter.
    for (let i = controls.indexOf('leave-button'); i > controls.indexOf('camera-button'); i--) {
      await sendKeys({ press: 'Shift+Tab' });
    }
    const cameraButton = shadow.querySelector<HTMLButtonElement>('[part~="camera-button"]')!;
    expect(shadow.activeElement).to.equal(cameraButton);
    await sendKeys({ press: 'Space' });
    await waitUntil(
      () => ada.camera === 'off' && cameraButton.getAttribute('aria-pressed') === 'false',
      'Space did nothing',
    );
    await sendKeys({ press: 'Enter' });
    await waitUntil(
      () => ada.camera === 'on' && cameraButton.getAttribute('aria-pressed') === 'true',
      'Enter did nothing',
    );

    // Settings by keyboard: Enter opens with focus inside, Escape closes back onto the button.
    for (let i = controls.indexOf('camera-button'); i < controls.indexOf('settings-button'); i++) {
      await sendKeys({ press: 'Tab' });
    }
    await sendKeys({ press: 'Enter' });
    await waitUntil(
      () => shadow.activeElement?.getAttribute('part')?.includes('camera-select'),
      'focus not in the panel',
    );
    await sendKeys({ press: 'Escape' });
    await waitUntil(() => !shadow.querySelector('[part~="settings"]'), 'Escape did not close');
    expect(shadow.activeElement?.getAttribute('part')).to.include('settings-button');

    // Leave by keyboard.
    for (let i = controls.indexOf('settings-button'); i < controls.indexOf('leave-button'); i++) {
      await sendKeys({ press: 'Tab' });
    }
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => ada.state === 'left', 'Enter on Leave did not leave');
  });

  it('announces joins and leaves in a live region, in the page language', async () => {
    const room = uniqueRoom();
    const ada = call(room, 'Ada', { camera: 'off' });
    elements.push(ada);
    await ada.join();
    await waitUntil(() => politeText(ada) === 'You joined the call.', `joined not announced: "${politeText(ada)}"`);
    const grace = call(room, 'Grace', { camera: 'off' });
    elements.push(grace);
    await grace.join();
    await waitUntil(() => politeText(ada) === 'Grace joined.', `join not announced: "${politeText(ada)}"`);
    grace.leave();
    await waitUntil(() => politeText(ada) === 'Grace left.', `leave not announced: "${politeText(ada)}"`);
  });

  it('speaks Italian under lang="it" (an ancestor), and a site can add a language', async () => {
    const room = uniqueRoom();
    const wrapper = document.createElement('div');
    wrapper.lang = 'it-IT';
    document.body.append(wrapper);
    elements.push(wrapper);
    const ada = call(room, 'Ada', { camera: 'off' }, wrapper);
    expect(ada.language).to.equal('it-it');
    await ada.join();
    // The first render may still wait for the Italian chunk.
    await ada.updateComplete;
    const shadow = ada.shadowRoot!;
    const text = (part: string) => shadow.querySelector(`[part~="${part}"]`)?.textContent?.trim();
    const label = (part: string) => shadow.querySelector(`[part~="${part}"]`)?.getAttribute('aria-label');
    expect(text('leave-button')).to.equal('Esci');
    expect(label('mic-button')).to.equal('Microfono');
    expect(label('controls')).to.equal('Controlli della chiamata');
    expect(shadow.querySelector('[part~="tile-local"]')!.getAttribute('aria-label')).to.equal('Ada (tu)');
    await waitUntil(() => politeText(ada) === 'Sei entrato nella chiamata.', `"${politeText(ada)}"`);

    // A site adds German through the element's static API; the element follows its own lang.
    const element = customElements.get(
      'videocall-room',
    ) as unknown as typeof import('../../../src/element/videocall-room.js').VideocallRoomElement;
    element.defineStrings({ de: { 'controls.leave': 'Verlassen', 'controls.mic': 'Mikrofon' } });
    ada.setAttribute('lang', 'de');
    await ada.updateComplete;
    expect(text('leave-button')).to.equal('Verlassen');
    expect(label('mic-button')).to.equal('Mikrofon');
    // What German lacks comes in English.
    expect(label('camera-button')).to.equal('Camera');
    ada.leave();
    await waitUntil(() => ada.state === 'left');
    expect(text('overlay')).to.include('You left the call.');
  });

  it('renders in Italian from its first paint (the Italian chunk loads first), keeping what the page reworded', async () => {
    const element = customElements.get(
      'videocall-room',
    ) as unknown as typeof import('../../../src/element/videocall-room.js').VideocallRoomElement;
    // Reworded by the page before the built-in Italian may have loaded: the page's word wins.
    element.defineStrings({ it: { 'controls.leave': 'Abbandona' } });
    try {
      const wrapper = document.createElement('div');
      wrapper.lang = 'it';
      document.body.append(wrapper);
      elements.push(wrapper);
      const ada = call(uniqueRoom(), 'Ada', { camera: 'off' }, wrapper);
      const shadow = ada.shadowRoot!;
      const label = (part: string) => shadow.querySelector(`[part~="${part}"]`)?.getAttribute('aria-label');
      const text = (part: string) => shadow.querySelector(`[part~="${part}"]`)?.textContent?.trim();
      // Nothing in English before the Italian arrives: the first render waits for it.
      await waitUntil(() => shadow.querySelector('[part~="tile-local"]'), 'the element never rendered');
      expect(shadow.querySelector('[part~="tile-local"]')!.getAttribute('aria-label')).to.equal('Ada (tu)');
      await ada.join();
      await ada.updateComplete;
      expect(label('controls')).to.equal('Controlli della chiamata');
      expect(label('mic-button')).to.equal('Microfono');
      expect(text('leave-button')).to.equal('Abbandona');
    } finally {
      element.defineStrings({ it: { 'controls.leave': 'Esci' } });
    }
  });
});
