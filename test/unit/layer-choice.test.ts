import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { announcedVideoLayers, chooseLayer } from '../../src/call/layer-choice.js';
import { Subscriptions, type LayerWanted } from '../../src/call/subscriptions.js';

const LAYERS = [
  { width: 1280, height: 720 },
  { width: 640, height: 360 },
  { width: 320, height: 180 },
];

describe('chooseLayer', () => {
  it('takes the smallest layer at least as tall as the tile: a 180p tile never receives 720p', () => {
    expect(chooseLayer(LAYERS, { width: 320, height: 180 })).toBe(2);
    expect(chooseLayer(LAYERS, { width: 200, height: 112 })).toBe(2);
    expect(chooseLayer(LAYERS, { width: 400, height: 225 })).toBe(1);
    expect(chooseLayer(LAYERS, { width: 640, height: 360 })).toBe(1);
    expect(chooseLayer(LAYERS, { width: 700, height: 394 })).toBe(0);
  });

  it('takes the largest when none is large enough, and layer 0 from a publisher that announced none', () => {
    expect(chooseLayer(LAYERS, { width: 2560, height: 1440 })).toBe(0);
    expect(chooseLayer([], { width: 320, height: 180 })).toBe(0);
  });

  it('gives nothing to a tile not shown', () => {
    expect(chooseLayer(LAYERS, { width: 0, height: 0 })).toBeNull();
    expect(chooseLayer(LAYERS, { width: 640, height: 0 })).toBeNull();
  });

  it('sizes by the picture the layer makes in the tile (contain): a narrow tile needs less, a 4:3 camera its height', () => {
    // A 16:9 picture in a 400×900 portrait tile is 400×225: the 360p layer.
    expect(chooseLayer(LAYERS, { width: 400, height: 900 })).toBe(1);
    const fourThree = [
      { width: 960, height: 720 },
      { width: 480, height: 360 },
      { width: 240, height: 180 },
    ];
    expect(chooseLayer(fourThree, { width: 640, height: 360 })).toBe(1);
    // Half a pixel of measuring slack.
    expect(chooseLayer(LAYERS, { width: 321, height: 180.4 })).toBe(2);
  });

  it('reads announced layers from a MediaState, bounded, unknown sizes as 0', () => {
    expect(announcedVideoLayers({ videoLayers: LAYERS })).toEqual(LAYERS);
    expect(announcedVideoLayers({})).toEqual([]);
    expect(announcedVideoLayers(null)).toEqual([]);
    const many = Array.from({ length: 9 }, () => ({ width: 10, height: -1 }));
    expect(announcedVideoLayers({ videoLayers: many })).toEqual(Array(4).fill({ width: 10, height: 0 }));
  });
});

describe('Subscriptions', () => {
  let participants: { id: string; videoLayers: typeof LAYERS }[];
  let sent: LayerWanted[][];
  let wanted: Map<string, number | null>;
  let subs: Subscriptions;

  beforeEach(() => {
    vi.useFakeTimers();
    participants = [
      { id: 'ada', videoLayers: LAYERS },
      { id: 'bob', videoLayers: LAYERS.slice(1) }, // a 360p camera: 360p and 180p
    ];
    sent = [];
    wanted = new Map();
    subs = new Subscriptions(
      {
        participants: () => participants,
        send: (tracks) => sent.push(tracks),
        wanted: (id, layer) => wanted.set(id, layer),
      },
      { width: 640, height: 360 },
    );
  });
  afterEach(() => {
    subs.close();
    vi.useRealTimers();
  });

  it('subscribes everyone at the default size until told what is shown, debounced', () => {
    subs.changed();
    subs.changed();
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual([
      [
        { publisher: 'ada', layer: 1 },
        { publisher: 'bob', layer: 0 },
      ],
    ]);
    expect(wanted).toEqual(
      new Map([
        ['ada', 1],
        ['bob', 0],
      ]),
    );
  });

  it('follows the tiles: smaller tiles get smaller layers after the debounce, an unshown participant nothing', () => {
    subs.setViews([
      { participant: 'ada', width: 1280, height: 720 },
      { participant: 'bob', width: 640, height: 360 },
    ]);
    vi.advanceTimersByTime(0); // the first views, and newly shown tiles, go at once
    expect(sent.at(-1)).toEqual([
      { publisher: 'ada', layer: 0 },
      { publisher: 'bob', layer: 0 },
    ]);
    // A resize: many steps, one message after it settles.
    for (let w = 1200; w >= 320; w -= 40) {
      subs.setViews([{ participant: 'ada', width: w, height: (w * 9) / 16 }]);
      vi.advanceTimersByTime(20);
    }
    const before = sent.length;
    vi.advanceTimersByTime(250);
    expect(sent.length).toBe(before + 1);
    expect(sent.at(-1)).toEqual([{ publisher: 'ada', layer: 2 }]);
    expect(wanted.get('bob')).toBeNull();
  });

  it('sends again only on a change, but always after a reconnect; follows new layers and leaves', () => {
    subs.setViews([{ participant: 'ada', width: 320, height: 180 }]);
    vi.advanceTimersByTime(0);
    const count = sent.length;
    subs.changed();
    vi.advanceTimersByTime(300);
    expect(sent.length).toBe(count); // nothing changed
    subs.resend();
    expect(sent.length).toBe(count + 1);
    // Ada's adaptation stopped her top layer: her layers are now 360p and 180p; 180p is index 1.
    participants[0]!.videoLayers = LAYERS.slice(1);
    subs.changed();
    vi.advanceTimersByTime(250);
    expect(sent.at(-1)).toEqual([{ publisher: 'ada', layer: 1 }]);
    participants = [];
    subs.changed();
    vi.advanceTimersByTime(250);
    expect(sent.at(-1)).toEqual([]);
  });
});
