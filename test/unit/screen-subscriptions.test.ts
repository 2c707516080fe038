import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Subscriptions, type LayerWanted } from '../../src/call/subscriptions.js';
import { layerStep } from '../../src/call/layer-follow.js';

const CAMERA = [
  { width: 1280, height: 720 },
  { width: 640, height: 360 },
  { width: 320, height: 180 },
];
const SCREEN = [
  { width: 1920, height: 1080 },
  { width: 640, height: 360 },
];

describe('Subscriptions of screen shares', () => {
  let sent: LayerWanted[][];
  let wanted: string[];
  let subs: Subscriptions;
  const participants = [
    { id: 'ada', videoLayers: CAMERA, screen: true, screenLayers: SCREEN },
    { id: 'bob', videoLayers: CAMERA },
  ];

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    wanted = [];
    subs = new Subscriptions(
      {
        participants: () => participants,
        send: (tracks) => sent.push(tracks),
        wanted: (id, layer, kind) => wanted.push(`${kind} ${id} ${layer}`),
      },
      { width: 640, height: 360 },
    );
  });
  afterEach(() => {
    subs.close();
    vi.useRealTimers();
  });

  it('subscribes a screen tile to the screen layer that fits it, apart from the camera', () => {
    subs.setViews([
      { participant: 'ada', width: 320, height: 180 },
      { participant: 'ada', kind: 'screen', width: 1600, height: 900 },
      { participant: 'bob', width: 640, height: 360 },
    ]);
    vi.advanceTimersByTime(0);
    expect(sent.at(-1)).toEqual([
      { publisher: 'ada', layer: 2 },
      { publisher: 'ada', layer: 0, kind: 'screen' },
      { publisher: 'bob', layer: 1 },
    ]);
    expect(wanted).toEqual(['video ada 2', 'screen ada 0', 'video bob 1']);
  });

  it('a small screen tile gets the small layer; no screen tile, no screen', () => {
    subs.setViews([{ participant: 'ada', kind: 'screen', width: 400, height: 225 }]);
    vi.advanceTimersByTime(0);
    expect(sent.at(-1)).toEqual([{ publisher: 'ada', layer: 1, kind: 'screen' }]);
    subs.setViews([{ participant: 'ada', width: 400, height: 225 }]);
    vi.advanceTimersByTime(250);
    expect(sent.at(-1)).toEqual([{ publisher: 'ada', layer: 1 }]);
  });

  it('before any view, a sharer is received at the default size on both tracks', () => {
    subs.changed();
    vi.advanceTimersByTime(250);
    expect(sent.at(-1)).toEqual([
      { publisher: 'ada', layer: 1 },
      { publisher: 'ada', layer: 1, kind: 'screen' },
      { publisher: 'bob', layer: 1 },
    ]);
  });
});

describe('layerStep', () => {
  it('switches only at a keyframe towards the wanted layer, and asks for one when the wanted layer arrives as a delta', () => {
    expect(layerStep(undefined, 0, 1, true)).toBe('switch');
    expect(layerStep(0, 2, 2, true)).toBe('switch');
    expect(layerStep(0, 2, 1, true)).toBe('switch');
    expect(layerStep(1, 1, 0, true)).toBe('drop');
    expect(layerStep(0, 2, 2, false)).toBe('drop-ask');
    expect(layerStep(0, 2, 1, false)).toBe('drop');
  });
});
