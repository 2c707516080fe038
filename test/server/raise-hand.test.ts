/** A raised hand is part of a participant's media state: passed on to the others and kept in the roster. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../server/relay.js';
import { startTestRelay, TestClient } from './helpers.js';

let relay: Relay;
const clients: TestClient[] = [];
beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await relay.close();
});

describe('raise hand', () => {
  it('passes a raised and a lowered hand on, and shows it to a late joiner in the roster', async () => {
    const a = await TestClient.joined(relay, 'hands', 'a');
    const b = await TestClient.joined(relay, 'hands', 'b');
    clients.push(a, b);
    await a.next('peerJoined');
    a.send({ mediaState: { mic: true, handRaised: true } });
    const raised = await b.next('mediaState');
    expect(raised.from).toBe(a.id);
    expect(raised.mediaState).toMatchObject({ mic: true, handRaised: true });

    const late = await TestClient.connect(relay.wsUrl, 'late');
    clients.push(late);
    const { welcome } = await late.join('hands', 'late');
    expect(welcome.roster?.find((p) => p.id === a.id)?.state?.handRaised).toBe(true);

    a.send({ mediaState: { mic: true } });
    expect((await b.next('mediaState')).mediaState.handRaised).toBeFalsy();
  });

  it('keeps a hand raised at join', async () => {
    const a = await TestClient.joined(relay, 'hands-join', 'a', { state: { handRaised: true } });
    clients.push(a);
    const b = await TestClient.connect(relay.wsUrl, 'b');
    clients.push(b);
    const { welcome } = await b.join('hands-join', 'b');
    expect(welcome.roster?.[0]?.state?.handRaised).toBe(true);
  });
});
