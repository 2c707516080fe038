/// <reference types="mocha" />
import { expect, waitUntil } from '@open-wc/testing';
// The built bundle, exactly what a site loads with its script tag.
import '../../../dist/videocall-room.js';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import '../collect-garbage.js';

interface Relays {
  open: string;
}
const relays: Relays = await (await fetch('/__relays.json')).json();
const room = `wtr-host-page-${Date.now().toString(36)}`;

/** What a page did to host the element, and what a person should then see. */
interface Hosted {
  el: VideocallRoomElement;
  /** Removes whatever the variant added to the page. */
  cleanup: () => void;
}

/** A fresh element in `room`, camera and mic off (the second participant brings the video to watch). */
function element(doc: Document, style = ''): VideocallRoomElement {
  const el = doc.createElement('videocall-room') as VideocallRoomElement;
  for (const [attr, value] of Object.entries({
    server: relays.open,
    room,
    name: 'Ada',
    manual: '',
    mic: 'off',
    camera: 'off',
  })) {
    el.setAttribute(attr, value);
  }
  if (style) el.setAttribute('style', style);
  return el;
}

/** `html` put in the page, with the element appended to the node marked `data-host` (or to the wrapper). */
function inPage(html: string, style = ''): Hosted {
  const wrapper = document.createElement('div');
  wrapper.innerHTML = html;
  document.body.prepend(wrapper);
  const el = element(document, style);
  (wrapper.querySelector('[data-host]') ?? wrapper).append(el);
  return { el, cleanup: () => wrapper.remove() };
}

/** A same-origin iframe whose document is `doctype + body`, loading the bundle by a script tag like a CMS page. */
async function inIframe(doctype: string, bodyStyle: string, style: string): Promise<Hosted> {
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width: 640px; height: 400px; border: 0; display: block';
  // A blob document, not srcdoc: a srcdoc document is never in quirks mode.
  const page = `${doctype}<html><head><script type="module" src="${location.origin}/dist/videocall-room.js"></script></head><body style="${bodyStyle}"></body></html>`;
  frame.src = URL.createObjectURL(new Blob([page], { type: 'text/html' }));
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.prepend(frame);
  await loaded;
  const win = frame.contentWindow!;
  await waitUntil(() => win.customElements.get('videocall-room'), 'the bundle did not load in the iframe');
  const el = element(frame.contentDocument!, style);
  frame.contentDocument!.body.append(el);
  return { el, cleanup: () => frame.remove() };
}

/** What a video or canvas in `el`'s document shows now, as a data URL. */
function pictureOf(element: HTMLVideoElement | HTMLCanvasElement): string {
  const copy = element.ownerDocument.createElement('canvas');
  copy.width = 64;
  copy.height = 36;
  copy.getContext('2d')!.drawImage(element, 0, 0, copy.width, copy.height);
  return copy.toDataURL();
}

const close = (actual: number, expected: number, what: string) =>
  expect(Math.abs(actual - expected), `${what}: ${actual}, expected ${expected}`).to.be.at.most(1);

/**
 * Joins `hosted.el`, then checks what a person sees: the element has a box (of
 * `size` when given), both tiles have a visible box inside it, and the second
 * participant's tile shows live, changing video.
 */
async function seesLiveTiles(hosted: Hosted, size: { width?: number; height?: number } = {}): Promise<void> {
  const { el } = hosted;
  try {
    await el.join();
    await waitUntil(() => (el.participants[0]?.framesDecoded ?? 0) > 3, 'no video decoded from Grace', {
      timeout: 15000,
    });
    const box = el.getBoundingClientRect();
    if (size.width !== undefined) close(box.width, size.width, 'element width');
    if (size.height !== undefined) close(box.height, size.height, 'element height');
    expect(box.width, 'element width').to.be.above(150);
    expect(box.height, 'element height').to.be.above(150);
    const shadow = el.shadowRoot!;
    // The grid settles after the stage is measured.
    await waitUntil(
      () => [...shadow.querySelectorAll<HTMLElement>('[part~="tile"]')].every((t) => t.offsetWidth > 60),
      'a tile has no box',
    );
    // The layout sizes the grid (columns of its tile width, rows of its tile height), and the tiles
    // sit side by side or stacked, never on top of each other.
    const grid = shadow.querySelector<HTMLElement>('[part~="grid"]')!;
    expect(grid.style.gridTemplateColumns, 'grid columns').to.match(/^repeat\(\d+, \d+px\)$/);
    expect(grid.style.gridAutoRows, 'grid rows').to.match(/^\d+px$/);
    const boxes = [...shadow.querySelectorAll<HTMLElement>('[part~="tile"]')].map((t) => t.getBoundingClientRect());
    for (const [i, a] of boxes.entries())
      for (const b of boxes.slice(i + 1)) {
        const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const overlapY = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        expect(overlap <= 1 || overlapY <= 1, 'two tiles overlap').to.equal(true);
      }
    for (const tile of shadow.querySelectorAll<HTMLElement>('[part~="tile"]')) {
      const r = tile.getBoundingClientRect();
      expect(r.height, 'tile height').to.be.above(30);
      // Inside the element, so nothing is cut off by its edges.
      expect(r.left).to.be.at.least(box.left - 1);
      expect(r.right).to.be.at.most(box.right + 1);
      expect(r.top).to.be.at.least(box.top - 1);
      expect(r.bottom).to.be.at.most(box.bottom + 1);
      // And on top there: a click in the tile's middle lands on the element, not on the page.
      const hit = el.ownerDocument.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      expect(hit, 'what is at the tile centre').to.equal(el);
    }
    // The controls are in the element's box too.
    const controls = shadow.querySelector<HTMLElement>('[part~="controls"]')!.getBoundingClientRect();
    expect(controls.height).to.be.above(30);
    expect(controls.bottom).to.be.at.most(box.bottom + 1);
    const remote = shadow.querySelector<HTMLVideoElement | HTMLCanvasElement>('[part~="tile-remote"] [part~="video"]')!;
    const first = pictureOf(remote);
    await waitUntil(() => pictureOf(remote) !== first, "Grace's tile shows no changing picture", { timeout: 8000 });
  } finally {
    el.leave();
    hosted.cleanup();
  }
}

describe('<videocall-room> on any host page', function () {
  this.timeout(40000);
  let grace: VideocallRoomElement;

  before(async () => {
    grace = document.createElement('videocall-room');
    for (const [attr, value] of Object.entries({ server: relays.open, room, name: 'Grace', manual: '', mic: 'off' })) {
      grace.setAttribute(attr, value);
    }
    grace.style.cssText = 'position: fixed; right: 0; bottom: 0; width: 160px; height: 120px; opacity: 0.01';
    document.body.append(grace);
    await grace.join();
    await waitUntil(() => grace.roomClient?.local.videoTrack, 'Grace has no camera');
  });
  after(() => {
    grace.leave();
    grace.remove();
  });

  it('with no CSS at all: fills the width, 480 px tall', async () => {
    await seesLiveTiles(inPage('<div data-host style="width: 700px"></div>'), { width: 700, height: 480 });
  });

  it('with display: block (once a stage of zero height)', async () => {
    await seesLiveTiles(inPage('<div data-host style="width: 600px"></div>', 'display: block'), {
      width: 600,
      height: 480,
    });
  });

  it('with display: flex, row and centred', async () => {
    await seesLiveTiles(
      inPage('<div data-host style="width: 600px"></div>', 'display: flex; align-items: center; height: 360px'),
      { width: 600, height: 360 },
    );
  });

  it('with display: grid and place-items', async () => {
    await seesLiveTiles(inPage('', 'display: grid; place-items: center; width: 500px; height: 300px'), {
      width: 500,
      height: 300,
    });
  });

  it('with display: inline-block: 640 × 480 of its own', async () => {
    await seesLiveTiles(inPage('', 'display: inline-block'), { width: 640, height: 480 });
  });

  it('with hostile host CSS: position static, padding, huge font, zero line height', async () => {
    await seesLiveTiles(
      inPage(
        '<div data-host style="width: 600px"></div>',
        'position: static; padding: 30px; font-size: 40px; line-height: 0',
      ),
      { width: 600 },
    );
  });

  it('in a flex row container next to a sidebar, with no size of its own', async () => {
    await seesLiveTiles(
      inPage(
        '<div data-host style="display: flex; width: 760px"><aside style="width: 200px; flex: none"></aside></div>',
      ),
      { width: 560, height: 480 },
    );
  });

  it('in a flex column container of 400 px, growing to fill it', async () => {
    await seesLiveTiles(
      inPage(
        '<div data-host style="display: flex; flex-direction: column; height: 400px; width: 600px"><header style="height: 40px; flex: none"></header></div>',
        'flex: 1',
      ),
      { width: 600, height: 360 },
    );
  });

  it('in a grid container cell', async () => {
    await seesLiveTiles(
      inPage(
        '<div data-host style="display: grid; grid-template-columns: 1fr 200px; grid-template-rows: 320px; width: 700px"></div>',
      ),
      { width: 500, height: 320 },
    );
  });

  it('with height: 100% of a 360 px parent', async () => {
    await seesLiveTiles(inPage('<div data-host style="height: 360px; width: 600px"></div>', 'height: 100%'), {
      height: 360,
    });
  });

  it('with height: 100% of a parent without a height: its own 480 px, never zero', async () => {
    await seesLiveTiles(inPage('<div data-host style="width: 600px"></div>', 'height: 100%'), { height: 480 });
  });

  it('with height: 50vh', async () => {
    await seesLiveTiles(inPage('<div data-host style="width: 600px"></div>', 'height: 50vh'), {
      height: window.innerHeight / 2,
    });
  });

  it('in a quirks-mode iframe (no doctype), height: 100%', async () => {
    const hosted = await inIframe('', 'margin: 0', 'height: 100%');
    expect(hosted.el.ownerDocument.compatMode).to.equal('BackCompat');
    await seesLiveTiles(hosted, { width: 640 });
  });

  it('in a standards iframe like a CMS embed, height: 100vh', async () => {
    const hosted = await inIframe('<!doctype html>', 'margin: 0', 'height: 100vh');
    expect(hosted.el.ownerDocument.compatMode).to.equal('CSS1Compat');
    await seesLiveTiles(hosted, { width: 640, height: 400 });
  });

  it('is hidden by hidden even when the page sets a display, and by display: none', async () => {
    for (const style of ['display: flex', 'display: block', 'display: grid']) {
      const hosted = inPage('', style);
      try {
        hosted.el.hidden = true;
        await hosted.el.updateComplete;
        const box = hosted.el.getBoundingClientRect();
        expect([box.width, box.height], style).to.deep.equal([0, 0]);
        hosted.el.hidden = false;
        expect(hosted.el.getBoundingClientRect().height, style).to.be.above(200);
      } finally {
        hosted.cleanup();
      }
    }
    const none = inPage('', 'display: none');
    try {
      expect(none.el.getBoundingClientRect().height).to.equal(0);
    } finally {
      none.cleanup();
    }
  });
});
