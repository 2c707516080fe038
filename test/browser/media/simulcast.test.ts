import { expect } from '@open-wc/testing';
import { openCamera } from '../../../src/capture/devices.js';
import type { EncodedMedia } from '../../../src/codec/encoded-media.js';
import { VideoDecodePipeline } from '../../../src/codec/video-decode.js';
import { VideoEncodePipeline, type SimulcastLayerInfo } from '../../../src/codec/video-encode.js';
import { mediaFrameHeader } from '../../../src/call/media-frame-wire.js';
import { RemoteMedia } from '../../../src/call/remote-media.js';
import { RemoteParticipant } from '../../../src/call/remote-participant.js';
import { sleep, waitFor } from './helpers.js';
import { after, afterEach, before, describe, it } from './mocha.js';
import '../collect-garbage.js';

/**
 * `count()` once it has held still for 400 ms (frames already in an encoder come
 * out; one 720p encode can take 300 ms on a loaded 2-core machine), at most 5 s.
 */
async function settled(count: () => number): Promise<number> {
  let last = -1;
  for (const deadline = Date.now() + 5000; last !== count() && Date.now() < deadline;) {
    last = count();
    await sleep(400);
  }
  return count();
}

/** A simulcast sender on the fake camera, every encoded frame kept. */
function simulcastSender(options: { keyframeIntervalMs?: number } = {}) {
  const sent: EncodedMedia[] = [];
  const announced: SimulcastLayerInfo[][] = [];
  const listeners: ((media: EncodedMedia) => void)[] = [];
  const encoder = new VideoEncodePipeline({
    codec: 'vp8',
    simulcast: true,
    // Sizes are what these tests check: no stepping down on a busy machine.
    adapt: false,
    ...options,
    onLayers: (layers) => announced.push(layers),
    onEncoded: (media) => {
      sent.push(media);
      for (const listener of listeners) listener(media);
    },
  });
  const ofLayer = (layer: number) => sent.filter((m) => m.layer === layer);
  return { encoder, sent, announced, ofLayer, listeners };
}

describe('simulcast (fake camera → one encoder per layer → decoders)', () => {
  let camera: MediaStreamTrack;
  const cleanups: (() => void)[] = [];

  before(async () => {
    camera = await openCamera();
  });
  after(() => camera.stop());
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('encodes a 720p camera in three layers, 720p, 360p and 180p, each decodable on its own', async () => {
    const { width, height } = camera.getSettings();
    expect([width, height]).to.deep.equal([1280, 720]);
    const sender = simulcastSender();
    cleanups.push(() => sender.encoder.stop());
    const decoded = new Map<number, string[]>();
    const decoders = [0, 1, 2].map(
      (layer) =>
        new VideoDecodePipeline({
          onFrame: (frame) => {
            decoded.set(layer, [...(decoded.get(layer) ?? []), `${frame.displayWidth}x${frame.displayHeight}`]);
            frame.close();
          },
        }),
    );
    cleanups.push(() => decoders.forEach((d) => d.close()));
    sender.listeners.push((media) => decoders[media.layer!]?.push(media));
    sender.encoder.start(camera);
    expect(await waitFor(() => [0, 1, 2].every((l) => (decoded.get(l)?.length ?? 0) >= 5), 15_000)).to.equal(true);

    expect(sender.announced[0]!.map((l) => `${l.width}x${l.height}`)).to.deep.equal(['1280x720', '640x360', '320x180']);
    expect(sender.announced[0]!.every((l) => l.maxFramerate > 0 && l.maxBitrate > 0)).to.equal(true);
    expect(new Set(decoded.get(0))).to.deep.equal(new Set(['1280x720']));
    expect(new Set(decoded.get(1))).to.deep.equal(new Set(['640x360']));
    expect(new Set(decoded.get(2))).to.deep.equal(new Set(['320x180']));
    for (const layer of [0, 1, 2]) {
      const frames = sender.ofLayer(layer);
      expect(frames[0]!.keyframe, `layer ${layer} starts with a keyframe`).to.equal(true);
      // Each layer numbers its own frames: a receiver of one layer sees no gaps.
      expect(frames.map((m) => m.sequence)).to.deep.equal(frames.map((_, i) => i));
    }
    for (const d of decoders) expect(d.stats.errors + d.stats.gaps + d.stats.droppedWaitingForKeyframe).to.equal(0);
    // Smaller layers cost fewer bytes.
    const bytes = [0, 1, 2].map((l) => sender.ofLayer(l).reduce((n, m) => n + m.data.byteLength, 0));
    expect(bytes[0]!).to.be.greaterThan(bytes[1]!);
    expect(bytes[1]!).to.be.greaterThan(bytes[2]!);
  });

  it('never upscales: a 360p camera is sent in 360p and 180p', async () => {
    const small = await openCamera();
    cleanups.push(() => small.stop());
    await small.applyConstraints({ width: 640, height: 360 });
    const sender = simulcastSender();
    cleanups.push(() => sender.encoder.stop());
    sender.encoder.start(small);
    // Frames the camera made before the new size took hold may come first at 720p: wait for 360p ones.
    const at360 = () => sender.ofLayer(1).filter((m) => m.height === 180).length >= 3;
    expect(await waitFor(at360, 10_000)).to.equal(true);
    expect(sender.announced.at(-1)!.map((l) => `${l.width}x${l.height}`)).to.deep.equal(['640x360', '320x180']);
    await sleep(500);
    const recent = sender.sent.slice(-8);
    expect([...new Set(recent.map((m) => `${m.layer}:${m.width}x${m.height}`))].sort()).to.deep.equal([
      '0:640x360',
      '1:320x180',
    ]);
  });

  it('stops a layer nobody watches (its bytes stop) and starts it again with a keyframe', async () => {
    const sender = simulcastSender({ keyframeIntervalMs: 60_000 });
    cleanups.push(() => sender.encoder.stop());
    sender.encoder.start(camera);
    expect(await waitFor(() => sender.ofLayer(0).length >= 5, 10_000)).to.equal(true);

    sender.encoder.setLayerDemand([1, 2]);
    // From now on no frame goes into layer 0's encoder; the few already in it come out.
    const fedTop = sender.encoder.stats.layers[0]!.framesIn;
    const top = await settled(() => sender.ofLayer(0).length);
    const others = sender.ofLayer(2).length;
    await sleep(1000);
    expect(sender.encoder.stats.layers[0]!.framesIn, 'a frame went into layer 0').to.equal(fedTop);
    expect(sender.ofLayer(0).length, 'layer 0 still encoded').to.equal(top);
    expect(sender.ofLayer(2).length - others).to.be.greaterThan(5);
    expect(sender.encoder.stats.layers.map((l) => l.active)).to.deep.equal([false, true, true]);

    sender.encoder.setLayerDemand([0, 1, 2]);
    expect(await waitFor(() => sender.ofLayer(0).length > top, 3000)).to.equal(true);
    expect(sender.ofLayer(0)[top]!.keyframe, 'a restarted layer begins with a keyframe').to.equal(true);

    // Nobody watches anything: nothing is encoded at all.
    sender.encoder.setLayerDemand([]);
    const fed = sender.encoder.stats.layers.map((l) => l.framesIn);
    const total = await settled(() => sender.sent.length);
    await sleep(800);
    expect(sender.encoder.stats.layers.map((l) => l.framesIn)).to.deep.equal(fed);
    expect(sender.sent.length).to.equal(total);
    expect(sender.encoder.stats.droppedUnwatched).to.be.greaterThan(5);
  });

  it('makes a requested keyframe on that layer only', async () => {
    const sender = simulcastSender({ keyframeIntervalMs: 60_000 });
    cleanups.push(() => sender.encoder.stop());
    sender.encoder.start(camera);
    expect(await waitFor(() => sender.ofLayer(2).length >= 5, 10_000)).to.equal(true);
    await sleep(600); // past the least gap between keyframes
    const from = sender.sent.length;
    sender.encoder.requestKeyframe(1);
    expect(await waitFor(() => sender.sent.slice(from).some((m) => m.layer === 1 && m.keyframe), 3000)).to.equal(true);
    await sleep(300);
    const keyframes = sender.sent.slice(from).filter((m) => m.keyframe);
    expect(keyframes.map((m) => m.layer)).to.deep.equal([1]);
  });

  it('a receiver decodes the layer it wants, moves to another at its keyframe without a decoder error, and never flips back', async () => {
    const sender = simulcastSender({ keyframeIntervalMs: 1000 });
    cleanups.push(() => sender.encoder.stop());
    const requests: number[] = [];
    const remote = new RemoteMedia({
      playAudio: false,
      requestKeyframe: (_participant, layer) => {
        requests.push(layer);
        sender.encoder.requestKeyframe(layer);
      },
      onLevel: () => {},
      onPlayoutState: () => {},
      relayClockOffsetMs: () => 0,
      lipSync: false,
    });
    cleanups.push(() => remote.close());
    const ada = new RemoteParticipant('ada', 'Ada', { mic: false, camera: true, screen: false }, ['vp8']);
    const shown: string[] = [];
    ada.setVideoSink((frame) => {
      shown.push(`${frame.displayWidth}x${frame.displayHeight}`);
      frame.close();
    });
    remote.add(ada);
    // Like a relay that forwards every layer: the receiver must pick its own.
    sender.listeners.push((media) => remote.receive(ada, { ...mediaFrameHeader(media), payload: media.data }));
    sender.encoder.start(camera);

    // The first keyframe to arrive starts the decoder (the 180p one comes out of its encoder first),
    // then it moves to the wanted layer at that layer's keyframe and stays there.
    expect(await waitFor(() => shown.filter((s) => s === '1280x720').length >= 10, 10_000)).to.equal(true);
    expect(shown.slice(shown.indexOf('1280x720')).every((s) => s === '1280x720')).to.equal(true);
    expect(ada.videoLayer).to.equal(0);

    const before = shown.length;
    remote.setWantedLayer(ada, 2);
    expect(requests).to.include(2);
    expect(await waitFor(() => shown.at(-1) === '320x180', 3000), 'moved to 180p').to.equal(true);
    // Some 720p frames may still come out of the decoder, then only 180p, though 720p keyframes keep arriving.
    await sleep(1500);
    const after = shown.slice(before);
    const firstSmall = after.indexOf('320x180');
    expect(after.slice(firstSmall).every((s) => s === '320x180')).to.equal(true);
    expect(ada.videoLayer).to.equal(2);
    expect(ada.videoHeight).to.equal(180);
    expect(ada.framesOtherLayer).to.be.greaterThan(0);

    remote.setWantedLayer(ada, 0);
    expect(await waitFor(() => shown.at(-1) === '1280x720', 3000), 'back to 720p').to.equal(true);
    expect(ada.videoLayer).to.equal(0);
  });
});
