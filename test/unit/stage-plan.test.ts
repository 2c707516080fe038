import { describe, expect, it } from 'vitest';
import { planStage, tilesThatFit, type StageInput } from '../../src/layout/stage-plan.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);
const base: StageInput = {
  layout: 'grid',
  localScreen: false,
  remotes: [],
  screens: [],
  speaker: null,
  capacity: 25,
  page: 0,
};

describe('planStage', () => {
  it('shows everyone on one page when they fit', () => {
    const plan = planStage({ ...base, remotes: ids(3) });
    expect(plan).toEqual({
      featured: null,
      tiles: ['local', 'camera:p0', 'camera:p1', 'camera:p2'],
      page: 0,
      pages: 1,
    });
  });

  it('pages remote cameras in the slots our own tile leaves, and clamps the page', () => {
    const input = { ...base, remotes: ids(10), capacity: 4 };
    expect(planStage(input)).toMatchObject({ tiles: ['local', 'camera:p0', 'camera:p1', 'camera:p2'], pages: 4 });
    expect(planStage({ ...input, page: 3 })).toMatchObject({ tiles: ['local', 'camera:p9'], page: 3 });
    expect(planStage({ ...input, page: 99 }).page).toBe(3);
    expect(planStage({ ...input, page: -2 }).page).toBe(0);
  });

  it('keeps the speaker on every grid page: in the last slot of a page that would not show them', () => {
    const plan = planStage({ ...base, remotes: ids(10), capacity: 4, page: 1, speaker: 'p8' });
    expect(plan.tiles).toEqual(['local', 'camera:p3', 'camera:p4', 'camera:p8']);
    const last = planStage({ ...base, remotes: ids(10), capacity: 4, page: 3, speaker: 'p0' });
    expect(last.tiles).toEqual(['local', 'camera:p9', 'camera:p0']);
  });

  it('puts screen shares on every page, each as its own tile beside the camera', () => {
    const plan = planStage({ ...base, remotes: ids(5), screens: ['p2'], localScreen: true, capacity: 5 });
    expect(plan.tiles).toEqual(['local', 'local-screen', 'screen:p2', 'camera:p0', 'camera:p1']);
    expect(plan.pages).toBe(3);
  });

  it('speaker layout: the speaker large, the others in the strip; a screen share wins the large tile', () => {
    const speaker = planStage({ ...base, layout: 'speaker', remotes: ids(3), speaker: 'p1', capacity: 6 });
    expect(speaker.featured).toBe('camera:p1');
    expect(speaker.tiles).toEqual(['local', 'camera:p0', 'camera:p2']);
    const shared = planStage({
      ...base,
      layout: 'speaker',
      remotes: ids(3),
      speaker: 'p1',
      screens: ['p2'],
      capacity: 6,
    });
    expect(shared.featured).toBe('screen:p2');
    expect(shared.tiles).toEqual(['local', 'camera:p0', 'camera:p1', 'camera:p2']);
  });

  it('speaker layout without a speaker features the first remote, or ourselves alone', () => {
    expect(planStage({ ...base, layout: 'speaker', remotes: ids(2) }).featured).toBe('camera:p0');
    expect(planStage({ ...base, layout: 'speaker' })).toMatchObject({ featured: 'local', tiles: [] });
  });

  it('ignores a speaker or sharer who is not a remote participant (ourselves, or gone)', () => {
    const plan = planStage({ ...base, remotes: ids(2), speaker: 'me', screens: ['gone'] });
    expect(plan.tiles).toEqual(['local', 'camera:p0', 'camera:p1']);
  });
});

describe('tilesThatFit', () => {
  it('counts tiles of at least 160×90 and caps at 25', () => {
    expect(tilesThatFit(1280, 720, 8)).toBe(25);
    expect(tilesThatFit(500, 300, 8)).toBe(9);
    expect(tilesThatFit(100, 50, 8)).toBe(1);
  });
});
