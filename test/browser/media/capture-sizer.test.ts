import { expect } from '@open-wc/testing';
import { CaptureSizer } from '../../../src/capture/capture-sizer.js';
import { openCamera } from '../../../src/capture/devices.js';
import { trackProcessorConstructor } from '../../../src/capture/track-processor.js';
import type { EncodedMedia } from '../../../src/codec/encoded-media.js';
import { VideoEncodePipeline, type SimulcastLayerInfo } from '../../../src/codec/video-encode.js';
import { sleep, waitFor } from './helpers.js';
import { afterEach, describe, it } from './mocha.js';
import '../collect-garbage.js';

/** Size of the next frame the track delivers (read through a MediaStreamTrackProcessor). */
async function nextFrameSize(track: MediaStreamTrack): Promise<string> {
  // A clone, so the track under test is not read away from its owner; stopped after, so it
  // does not hold the camera at its size.
  const clone = track.clone();
  const Processor = trackProcessorConstructor()!;
  const reader = new Processor({ track: clone }).readable.getReader() as ReadableStreamDefaultReader<VideoFrame>;
  try {
    // The first frames may still be queued from before a change: take the fourth.
    let size = '';
    for (let i = 0; i < 4; i++) {
      const { value } = await reader.read();
      if (!value) break;
      size = `${value.displayWidth}x${value.displayHeight}`;
      value.close();
    }
    return size;
  } finally {
    await reader.cancel();
    clone.stop();
  }
}

const heightOf = (track: MediaStreamTrack) => track.getSettings().height;

describe('capture sizing (the camera captures no larger than what is encoded)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('shrinks after its delay, grows at once, never below 360p, and gives back the original on stop', async () => {
    const camera = await openCamera();
    cleanups.push(() => camera.stop());
    expect(CaptureSizer.canResize(camera)).to.equal(true);
    const sizer = new CaptureSizer(camera, { width: 1280, height: 720 }, { shrinkDelayMs: 300 });

    sizer.fit({ width: 640, height: 360 });
    await sleep(100);
    expect(heightOf(camera), 'still 720p before the delay').to.equal(720);
    expect(await waitFor(() => heightOf(camera) === 360, 3000)).to.equal(true);
    expect(await nextFrameSize(camera)).to.equal('640x360');

    sizer.fit({ width: 320, height: 180 });
    await sleep(600);
    expect(heightOf(camera), 'a 180p layer keeps a 360p capture').to.equal(360);

    sizer.fit({ width: 1280, height: 720 });
    expect(await waitFor(() => heightOf(camera) === 720, 1000), 'growing is not delayed').to.equal(true);
    expect(await nextFrameSize(camera)).to.equal('1280x720');

    sizer.fit({ width: 640, height: 360 });
    sizer.fit({ width: 1280, height: 720 });
    await sleep(600);
    expect(heightOf(camera), 'a shrink taken back before its delay never happens').to.equal(720);

    sizer.fit({ width: 640, height: 360 });
    expect(await waitFor(() => heightOf(camera) === 360, 3000)).to.equal(true);
    sizer.stop();
    expect(await waitFor(() => heightOf(camera) === 720, 2000), 'stop gives back the 720p capture').to.equal(true);
  });

  it('changes only the size: a frame rate the page set on the track meanwhile stays', async () => {
    const camera = await openCamera();
    cleanups.push(() => camera.stop());
    const sizer = new CaptureSizer(camera, { width: 1280, height: 720 }, { shrinkDelayMs: 0 });
    await camera.applyConstraints({ ...camera.getConstraints(), frameRate: 4 });
    sizer.fit({ width: 640, height: 360 });
    expect(await waitFor(() => heightOf(camera) === 360, 3000)).to.equal(true);
    expect(camera.getSettings().frameRate).to.equal(4);
    sizer.stop();
    expect(await waitFor(() => heightOf(camera) === 720, 2000)).to.equal(true);
    expect(camera.getSettings().frameRate, 'nor does giving back the original size undo it').to.equal(4);
  });

  it('a simulcast sender watched only at 180p captures at 360p and keeps announcing the same layers', async () => {
    const camera = await openCamera();
    cleanups.push(() => camera.stop());
    const announced: SimulcastLayerInfo[][] = [];
    const sent: EncodedMedia[] = [];
    const encoder = new VideoEncodePipeline({
      codec: 'vp8',
      simulcast: true,
      adapt: false,
      onLayers: (layers) => announced.push(layers),
      onEncoded: (media) => sent.push(media),
    });
    cleanups.push(() => encoder.stop());
    encoder.start(camera);
    expect(await waitFor(() => sent.some((m) => m.layer === 2), 15_000)).to.equal(true);

    encoder.setLayerDemand([2]);
    // The shrink waits 2 s so that a brief change of demand does not resize twice.
    expect(await waitFor(() => heightOf(camera) === 360, 6000), 'capture went down to 360p').to.equal(true);
    const before = sent.filter((m) => m.layer === 2).length;
    expect(await waitFor(() => sent.filter((m) => m.layer === 2).length >= before + 10, 10_000)).to.equal(true);
    expect(announced.length, 'the smaller capture is not a new source').to.equal(1);
    expect(announced[0]!.map((l) => `${l.width}x${l.height}`)).to.deep.equal(['1280x720', '640x360', '320x180']);

    encoder.setLayerDemand([0, 2]);
    expect(await waitFor(() => heightOf(camera) === 720, 2000), 'someone watches 720p: capture grows').to.equal(true);
    const top = sent.filter((m) => m.layer === 0).length;
    expect(await waitFor(() => sent.filter((m) => m.layer === 0).length > top + 3, 10_000)).to.equal(true);
    expect(announced.length).to.equal(1);

    encoder.stop();
    expect(await waitFor(() => heightOf(camera) === 720, 2000)).to.equal(true);
  });
});
