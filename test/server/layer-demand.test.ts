import { afterEach, describe, expect, it } from 'vitest';
import { LayerDemand } from '../../server/layer-demand.js';
import { RemoteDemand, type DemandMessage } from '../../server/remote-demand.js';
import { TrackKind } from '../../src/protocol/index.js';

/** A publisher with 3 video layers, whose watched layers the test sets. */
function setup(debounceMs: number) {
  let mask = 0;
  const sent: number[][] = [];
  const demand = new LayerDemand(
    {
      publishers: () => [{ id: 'p', layerCount: (kind: number) => (kind === TrackKind.VIDEO ? 3 : 0) }],
      demandOf: (_publisher, kind) => (kind === TrackKind.VIDEO ? mask : 0),
      send: (_publisher, _kind, layers) => sent.push(layers),
    },
    debounceMs,
  );
  return { demand, sent, watch: (m: number) => (mask = m) };
}

const microtasks = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

describe('LayerDemand', () => {
  it('tells a publisher of a newly watched layer at once, not after the debounce', async () => {
    const { demand, sent, watch } = setup(60_000);
    closers.push(() => demand.close());
    watch(0b001);
    demand.urgent();
    demand.urgent(); // the same turn's changes go out together
    await microtasks();
    expect(sent).toEqual([[0]]);
  });

  it('keeps the debounce for a layer no longer watched', async () => {
    const { demand, sent, watch } = setup(200);
    closers.push(() => demand.close());
    watch(0b011);
    demand.urgent();
    await microtasks();
    watch(0b010);
    demand.schedule();
    await microtasks();
    expect(sent).toEqual([[0, 1]]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(sent).toEqual([[0, 1], [1]]);
  });

  it('says nothing after it is closed', async () => {
    const { demand, sent, watch } = setup(60_000);
    watch(0b100);
    demand.urgent();
    demand.close();
    await microtasks();
    expect(sent).toEqual([]);
  });
});

describe('RemoteDemand.apply', () => {
  const part = (tracks: DemandMessage['tracks'], defaults: DemandMessage['defaults'] = []): DemandMessage => ({
    v: 1,
    node: 'n2',
    defaults,
    tracks,
  });

  it('says whether another node now watches something it did not', () => {
    const remote = new RemoteDemand(60_000);
    expect(remote.apply(part([['p', TrackKind.VIDEO, 0b010]]))).toBe('grew');
    expect(remote.apply(part([['p', TrackKind.VIDEO, 0b010]]))).toBe('same');
    expect(remote.apply(part([['p', TrackKind.VIDEO, 0b011]]))).toBe('grew');
    expect(remote.apply(part([['p', TrackKind.VIDEO, 0b001]]))).toBe('changed');
    expect(remote.apply(part([['p', TrackKind.VIDEO, 0b001]], ['p']))).toBe('grew');
    expect(remote.apply(part([['p', TrackKind.VIDEO, 0b001]]))).toBe('changed');
    expect(remote.apply(part([]))).toBe('changed');
    expect(remote.apply(part([]))).toBe('same');
  });
});
