/// <reference types="mocha" />
import { expect, waitUntil as waitUntilQuick } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import { loadAxe, violations } from './axe.js';
import '../collect-garbage.js';

interface Relays {
  open: string;
}

/**
 * Waits for what another participant did to show here: through the relay, on a machine shared by
 * several sessions, that can take seconds (the condition is the same; only the patience is longer).
 */
const waitUntil = (condition: () => unknown, message?: string, options: { timeout?: number } = {}) =>
  waitUntilQuick(condition, message, { timeout: 8000, ...options });

const relays: Relays = await (await fetch('/__relays.json')).json();
let counter = 0;
const uniqueRoom = () => `wtr-people-${Date.now().toString(36)}-${counter++}`;

// Before anything opened a panel: the page has not downloaded the panel's code.
const panelChunkRequested = () =>
  performance.getEntriesByType('resource').some((e) => /\/chunks\/people-panel-[^/]*\.js$/.test(e.name));
const chunkBeforeAnyPanel = panelChunkRequested();
const definedBeforeAnyPanel = !!customElements.get('videocall-people-panel');

await loadAxe();

function call(room: string, name: string, attrs: Record<string, string> = {}): VideocallRoomElement {
  const el = document.createElement('videocall-room');
  for (const [attr, value] of Object.entries({ server: relays.open, room, name, manual: '', mic: 'off', ...attrs })) {
    el.setAttribute(attr, value);
  }
  el.style.cssText = 'width: 720px; height: 480px';
  document.body.append(el);
  return el;
}

const panelOf = (el: VideocallRoomElement) => el.shadowRoot!.querySelector('videocall-people-panel');
const button = (el: VideocallRoomElement) =>
  el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="people-button"]')!;

/** The rows of `el`'s People panel as a person reads them: the name, then each sign's accessible name. */
function rows(el: VideocallRoomElement): { id: string; name: string; signs: string[]; safetyCode: string | null }[] {
  const root = panelOf(el)?.shadowRoot;
  if (!root) return [];
  return [...root.querySelectorAll<HTMLElement>('[part~="person"]')].map((row) => ({
    id: row.dataset.id ?? '',
    name: row.querySelector('[part~="person-name"]')!.textContent!.trim(),
    signs: [...row.querySelectorAll('[part~="indicator"]')].map((s) => s.getAttribute('aria-label') ?? ''),
    safetyCode: row.querySelector('[part~="safety-code"]')?.textContent?.trim() ?? null,
  }));
}

const names = (el: VideocallRoomElement) => rows(el).map((r) => r.name);
const signsOf = (el: VideocallRoomElement, name: string) => rows(el).find((r) => r.name === name)?.signs ?? [];

async function openPanel(el: VideocallRoomElement): Promise<void> {
  button(el).click();
  // The first opening downloads the panel's chunk: allow for a busy machine.
  await waitUntil(() => panelOf(el)?.shadowRoot?.querySelector('[part~="people-list"]'), 'the panel did not open', {
    timeout: 10000,
  });
}

describe('<videocall-room> People panel', function () {
  this.timeout(90000);
  const elements: VideocallRoomElement[] = [];
  // The first join in a fresh browser also warms up codecs, which on a machine shared by several
  // sessions can pass the relay's join deadline: that is not what these tests are about, so warm up
  // first (up to three tries). No People panel is opened here.
  before(async function () {
    this.timeout(120000);
    for (let attempt = 0; attempt < 3; attempt++) {
      const warm = call(uniqueRoom(), 'Warm-up');
      try {
        await warm.join();
        return;
      } catch {
        // Try again: the next join finds the codecs warm.
      } finally {
        warm.leave();
        warm.remove();
      }
    }
  });
  afterEach(() => {
    for (const el of elements.splice(0)) {
      el.leave();
      el.remove();
    }
  });

  it('downloads its code only when first opened, lists everyone, and follows a mute in the others’ panels', async () => {
    expect(chunkBeforeAnyPanel, 'the panel chunk was fetched before any panel opened').to.equal(false);
    expect(definedBeforeAnyPanel).to.equal(false);
    const room = uniqueRoom();
    const ada = call(room, 'Ada');
    const cy = call(room, 'Cy', { camera: 'off' });
    const bo = call(room, 'Bo', { mic: 'on', camera: 'off' });
    elements.push(ada, bo, cy);
    for (const el of [ada, bo, cy]) await el.join(); // one at a time: the machine is shared
    await waitUntil(() => [ada, bo, cy].every((e) => e.participants.length === 2), 'they did not all meet');
    // The count on the button, in its accessible name too.
    await waitUntil(() => button(ada).textContent!.trim() === '3', `count: ${button(ada).textContent}`);
    expect(button(ada).getAttribute('aria-label')).to.equal('Show everyone, 3 in the call');
    expect(panelChunkRequested()).to.equal(false);

    await openPanel(ada);
    await openPanel(cy);
    expect(panelChunkRequested(), 'the panel chunk was not fetched on opening').to.equal(true);
    expect(button(ada).getAttribute('aria-expanded')).to.equal('true');
    // Ourselves first, then by name.
    expect(names(ada)).to.deep.equal(['Ada (you)', 'Bo', 'Cy']);
    expect(names(cy)).to.deep.equal(['Cy (you)', 'Ada', 'Bo']);
    expect(signsOf(ada, 'Cy')).to.include.members(['Microphone off', 'Camera off']);
    await waitUntil(() => signsOf(ada, 'Bo').includes('Microphone on') && signsOf(cy, 'Bo').includes('Microphone on'));
    expect(signsOf(cy, 'Ada')).to.include('Camera on');

    // Bo mutes: both other panels say so, with a sign that has a name (not a colour).
    await bo.setMicEnabled(false);
    await waitUntil(
      () => signsOf(ada, 'Bo').includes('Microphone off') && signsOf(cy, 'Bo').includes('Microphone off'),
      `after the mute: ${JSON.stringify([signsOf(ada, 'Bo'), signsOf(cy, 'Bo')])}`,
    );
    // And a camera turned off on Ada's side shows in Cy's panel.
    await ada.setCameraEnabled(false);
    await waitUntil(() => signsOf(cy, 'Ada').includes('Camera off'), 'camera off not shown');

    // Someone leaves: gone from the list and from the count.
    bo.leave();
    await waitUntil(() => names(ada).length === 2 && button(ada).textContent!.trim() === '2', 'Bo still listed');
    expect(names(ada)).to.deep.equal(['Ada (you)', 'Cy']);
  });

  it('puts raised hands first in the order they went up; lowering one’s own from the panel updates the others', async () => {
    const room = uniqueRoom();
    const ada = call(room, 'Ada', { camera: 'off' });
    const bo = call(room, 'Bo', { camera: 'off' });
    const cy = call(room, 'Cy', { camera: 'off' });
    elements.push(ada, bo, cy);
    for (const el of [ada, bo, cy]) await el.join(); // one at a time: the machine is shared
    await waitUntil(() => [ada, bo, cy].every((e) => e.participants.length === 2), 'they did not all meet');
    await openPanel(ada);
    await openPanel(cy);
    expect(names(ada)).to.deep.equal(['Ada (you)', 'Bo', 'Cy']);

    cy.raiseHand();
    await waitUntil(() => names(ada)[1] === 'Cy', `Cy's hand did not sort first: ${names(ada).join(', ')}`);
    bo.raiseHand();
    await waitUntil(() => signsOf(ada, 'Bo').some((s) => s.startsWith('Hand raised')), 'Bo’s hand not shown');
    // Cy raised first: first, though Bo comes first by name.
    expect(names(ada)).to.deep.equal(['Ada (you)', 'Cy', 'Bo']);
    expect(signsOf(ada, 'Cy')).to.include('Hand raised (1)');
    expect(signsOf(ada, 'Bo')).to.include('Hand raised (2)');
    expect(ada.raisedHands).to.deep.equal([cy.roomClient!.sessionId, bo.roomClient!.sessionId]);

    // Cy lowers her hand from her own row of the panel.
    const lower = panelOf(cy)!.shadowRoot!.querySelector<HTMLButtonElement>(
      '[part~="person-you"] [part~="lower-hand"]',
    );
    expect(lower?.textContent?.trim()).to.equal('Lower your hand');
    lower!.click();
    await waitUntil(
      () => !signsOf(ada, 'Cy').some((s) => s.startsWith('Hand raised')),
      'the others still see Cy’s hand up',
    );
    expect(names(ada)).to.deep.equal(['Ada (you)', 'Bo', 'Cy']);
    expect(signsOf(ada, 'Bo')).to.include('Hand raised (1)');
    expect(cy.handRaised).to.equal(false);
    expect(cy.shadowRoot!.querySelector('[part~="hand-button"]')!.getAttribute('aria-pressed')).to.equal('false');
    expect(panelOf(cy)!.shadowRoot!.querySelector('[part~="lower-hand"]')).to.equal(null);
  });

  it('shows each person’s end-to-end encryption as their tile does: verified, the code to compare, or failed', async () => {
    // A passphrase room with an intruder who has another passphrase.
    const room = uniqueRoom();
    const ada = call(room, 'Ada', { camera: 'off', passphrase: 'correct horse battery' });
    const bo = call(room, 'Bo', { camera: 'off', passphrase: 'correct horse battery' });
    const eve = call(room, 'Eve', { camera: 'off', passphrase: 'a different one' });
    elements.push(ada, bo, eve);
    for (const el of [ada, bo, eve]) await el.join(); // one at a time: the machine is shared
    await waitUntil(() => ada.participants.length === 2, 'they did not meet');
    await openPanel(ada);
    await waitUntil(
      () =>
        signsOf(ada, 'Bo').includes('End-to-end encrypted, verified') &&
        signsOf(ada, 'Eve').includes('Keys do not match'),
      `security: ${JSON.stringify(rows(ada))}`,
      { timeout: 20000 },
    );
    expect(signsOf(ada, 'Ada (you)')).to.include('Your media is end-to-end encrypted');

    // Without a passphrase: unverified, with the same code the tile shows, to compare aloud.
    const open = uniqueRoom();
    const cy = call(open, 'Cy', { camera: 'off', e2ee: '' });
    const dan = call(open, 'Dan', { camera: 'off', e2ee: '' });
    elements.push(cy, dan);
    for (const el of [cy, dan]) await el.join(); // one at a time: the machine is shared
    await openPanel(cy);
    await waitUntil(() => rows(cy).find((r) => r.name === 'Dan')?.safetyCode, 'no safety code in the panel', {
      timeout: 20000,
    });
    const row = rows(cy).find((r) => r.name === 'Dan')!;
    expect(row.signs).to.include('End-to-end encrypted. Compare this code with Dan');
    const tileCode = cy.shadowRoot!.querySelector('[part~="tile-remote"] [part~="safety-code"]')?.textContent?.trim();
    expect(row.safetyCode).to.equal(tileCode);
    expect(row.safetyCode).to.equal(cy.participants[0]!.safetyCode);
  });

  it('opens and closes by keyboard alone: Enter opens with focus inside, Escape closes back onto the button', async () => {
    const room = uniqueRoom();
    const before = document.createElement('button');
    before.textContent = 'before';
    document.body.append(before);
    const ada = call(room, 'Ada', { camera: 'off' });
    const bo = call(room, 'Bo', { camera: 'off' });
    elements.push(ada, bo);
    try {
      for (const el of [ada, bo]) await el.join(); // one at a time: the machine is shared
      await waitUntil(() => ada.participants.length === 1, 'they did not meet');
      const shadow = ada.shadowRoot!;
      before.focus();
      for (let i = 0; i < 10 && !shadow.activeElement?.matches('[part~="people-button"]'); i++) {
        await sendKeys({ press: 'Tab' });
      }
      expect(shadow.activeElement?.getAttribute('part')).to.include('people-button');
      expect(getComputedStyle(shadow.activeElement!).outlineStyle, 'focus ring').to.equal('solid');
      await sendKeys({ press: 'Enter' });
      await waitUntil(() => shadow.activeElement === panelOf(ada), 'focus did not move into the panel');
      // Tab reaches the panel's controls: its close button, then Bo's name (which shows Bo's tile).
      await sendKeys({ press: 'Tab' });
      expect(panelOf(ada)!.shadowRoot!.activeElement?.getAttribute('part')).to.equal('people-close');
      await sendKeys({ press: 'Tab' });
      expect(panelOf(ada)!.shadowRoot!.activeElement?.getAttribute('aria-label')).to.equal('Show Bo on the stage');
      await sendKeys({ press: 'Escape' });
      await waitUntil(() => !panelOf(ada), 'Escape did not close the panel');
      expect(shadow.activeElement?.getAttribute('part')).to.include('people-button');
      expect(button(ada).getAttribute('aria-expanded')).to.equal('false');

      // One side panel at a time: the chat closes People, People closes the chat.
      await sendKeys({ press: 'Enter' });
      await waitUntil(() => panelOf(ada), 'Enter did not open it again');
      shadow.querySelector<HTMLButtonElement>('[part~="chat-button"]')!.click();
      await waitUntil(() => shadow.querySelector('videocall-chat-panel') && !panelOf(ada), 'chat and People both open');
      button(ada).click();
      await waitUntil(() => panelOf(ada) && !shadow.querySelector('videocall-chat-panel'), 'People did not close chat');
      // Its close button too returns focus to the button.
      panelOf(ada)!.shadowRoot!.querySelector<HTMLButtonElement>('[part~="people-close"]')!.click();
      await waitUntil(() => !panelOf(ada), 'the close button did not close');
      expect(shadow.activeElement?.getAttribute('part')).to.include('people-button');
    } finally {
      before.remove();
    }
  });

  it('for a room larger than a page: search by name, Enter on someone brings their page into view, no axe violations', async () => {
    const room = uniqueRoom();
    const ada = call(room, 'Ada', { camera: 'off', 'max-tiles': '3' });
    const others = ['Bo', 'Cy', 'Dan', 'Élodie', 'Fay', 'Gus', 'Hal', 'Ivy'].map((n) =>
      call(room, n, { camera: 'off' }),
    );
    for (const el of others) el.style.cssText = 'width: 200px; height: 150px';
    elements.push(ada, ...others);
    await ada.join();
    for (const el of others) await el.join();
    await waitUntil(() => ada.participants.length === 8, 'not everyone met', { timeout: 30000 });
    await openPanel(ada);
    const panel = panelOf(ada)!.shadowRoot!;
    expect(names(ada)).to.deep.equal(['Ada (you)', 'Bo', 'Cy', 'Dan', 'Élodie', 'Fay', 'Gus', 'Hal', 'Ivy']);
    for (const theme of ['dark', 'light'] as const) {
      ada.theme = theme;
      await ada.updateComplete;
      expect(await violations(ada), `People open, ${theme}`).to.deep.equal([]);
    }

    // Nine people: a search field, focused on opening; accents and case do not matter.
    const search = panel.querySelector<HTMLInputElement>('[part~="people-filter"]');
    expect(search, 'no search field for 9 people').to.not.equal(null);
    search!.focus();
    await sendKeys({ type: 'elo' });
    await waitUntil(() => names(ada).join() === 'Élodie', `filtered: ${names(ada).join(', ')}`);
    await sendKeys({ type: 'x' });
    await waitUntil(() => panel.querySelector('[part~="people-empty"]')?.textContent?.includes('“elox”'));
    expect(await violations(ada), 'no match shown').to.deep.equal([]);
    // Escape clears the search first (the panel stays), then closes.
    await sendKeys({ press: 'Escape' });
    await waitUntil(() => names(ada).length === 9, 'Escape did not clear the search');
    expect(panelOf(ada)).to.not.equal(null);

    // Ivy joined last: on the last page of Ada's grid (3 tiles a page: Ada and two others).
    const ivy = others[others.length - 1]!.roomClient!.sessionId;
    const gridIds = () =>
      [...ada.shadowRoot!.querySelectorAll<HTMLElement>('[part~="grid"] [part~="tile-remote"]')].map(
        (t) => t.dataset.id,
      );
    expect(gridIds()).to.not.include(ivy);
    const status = () => ada.shadowRoot!.querySelector('[part~="page-status"]')?.textContent?.trim();
    expect(status()).to.equal('Page 1 of 4');
    panel.querySelector<HTMLButtonElement>(`[data-id="${ivy}"] [part~="person-show"]`)!.focus();
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => gridIds().includes(ivy), `Ivy not brought into view: ${gridIds().join(', ')}`);
    expect(status()).to.equal('Page 4 of 4');
    expect(ada.showParticipant('nobody')).to.equal(false);
    expect(ada.showParticipant(others[0]!.roomClient!.sessionId)).to.equal(true);
    await waitUntil(() => status() === 'Page 1 of 4', 'showParticipant did not turn the page');
  });
});
