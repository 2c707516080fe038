/// <reference types="mocha" />
import { expect } from '@open-wc/testing';
import { mediaFrameHeader } from '../../../src/call/media-frame-wire.js';
import { RemoteMedia } from '../../../src/call/remote-media.js';
import { RemoteParticipant } from '../../../src/call/remote-participant.js';
import { opusPackets, sleep, waitFor } from './helpers.js';
import { afterEach, describe, it } from './mocha.js';

describe('RemoteMedia: audio made ready before the first packet', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  function remoteMedia(playoutStates: string[]): RemoteMedia {
    const remote: RemoteMedia = new RemoteMedia({
      playAudio: true,
      requestKeyframe: () => {},
      onLevel: () => {},
      onPlayoutState: () => playoutStates.push(remote.audioSuspended ? 'suspended' : 'running'),
      relayClockOffsetMs: () => 0,
      lipSync: false,
    });
    cleanups.push(() => remote.close());
    return remote;
  }

  it('opens the audio output as soon as a participant with their microphone on is added', async () => {
    const states: string[] = [];
    const remote = remoteMedia(states);
    const ada = new RemoteParticipant('ada', 'Ada', { mic: true, camera: false, screen: false }, ['vp8']);
    remote.add(ada);
    // No packet yet: the output exists already (it reports its state), and so do the decoder and the stream.
    expect(await waitFor(() => states.length > 0, 2000)).to.equal(true);
    const stats = remote.receiverStats(ada);
    expect(stats?.audio?.packetsIn).to.equal(0);
    expect(remote.firstAudioAt).to.equal(undefined);
  });

  it('opens nothing for a participant whose microphone is off, until their audio comes', async () => {
    const states: string[] = [];
    const remote = remoteMedia(states);
    const bob = new RemoteParticipant('bob', 'Bob', { mic: false, camera: false, screen: false }, ['vp8']);
    remote.add(bob);
    await sleep(200);
    expect(states).to.deep.equal([]);
    expect(remote.receiverStats(bob)?.audio).to.equal(null);
    for (const packet of await opusPackets(5))
      remote.receive(bob, { ...mediaFrameHeader(packet), payload: packet.data });
    expect(await waitFor(() => remote.firstAudioAt !== undefined, 3000), 'decoded on arrival').to.equal(true);
    expect(states.length).to.be.greaterThan(0);
  });

  it('the prepared decoder decodes the first packets that arrive', async () => {
    const remote = remoteMedia([]);
    const ada = new RemoteParticipant('ada', 'Ada', { mic: true, camera: false, screen: false }, ['vp8']);
    remote.add(ada);
    const packets = await opusPackets(10);
    for (const packet of packets) remote.receive(ada, { ...mediaFrameHeader(packet), payload: packet.data });
    expect(await waitFor(() => remote.firstAudioAt !== undefined, 3000)).to.equal(true);
    // Every packet decoded (the output holds none back for a decoder still being set up).
    expect(await waitFor(() => remote.receiverStats(ada)?.audio?.packetsDecoded === packets.length, 3000)).to.equal(
      true,
    );
  });
});
