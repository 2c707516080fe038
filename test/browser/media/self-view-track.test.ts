import { expect } from '@open-wc/testing';
import { openCamera } from '../../../src/capture/devices.js';
import { SelfViewTrack } from '../../../src/capture/self-view-track.js';
import { trackProcessorConstructor } from '../../../src/capture/track-processor.js';
import { sleep, waitFor } from './helpers.js';
import { afterEach, describe, it } from './mocha.js';
import '../collect-garbage.js';

/**
 * The frame rate `track` delivers (from the timestamps of 12 frames, after the first few, which may
 * be queued from before a change) and the size of its last frame.
 */
async function framesOf(track: MediaStreamTrack): Promise<{ fps: number; size: string }> {
  const Processor = trackProcessorConstructor()!;
  const reader = new Processor({ track }).readable.getReader() as ReadableStreamDefaultReader<VideoFrame>;
  const stamps: number[] = [];
  let size = '';
  try {
    for (let i = 0; i < 15; i++) {
      const { value } = await reader.read();
      if (!value) break;
      if (i >= 3) stamps.push(value.timestamp);
      size = `${value.displayWidth}x${value.displayHeight}`;
      value.close();
    }
    return { fps: ((stamps.length - 1) * 1e6) / (stamps.at(-1)! - stamps[0]!), size };
  } finally {
    await reader.cancel();
  }
}

describe('the self-view track (lighter while the machine is overloaded)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('shows the camera itself, and a 360p copy at most 15 fps while overloaded, leaving the camera as it is', async () => {
    const camera = await openCamera();
    cleanups.push(() => camera.stop());
    let changes = 0;
    const selfView = new SelfViewTrack(() => changes++, 300);
    cleanups.push(() => selfView.stop());
    expect(selfView.show(camera), 'not overloaded: the camera').to.equal(camera);

    selfView.setOverloaded(true);
    expect(changes, 'told to render again').to.equal(1);
    selfView.setOverloaded(true);
    expect(changes, 'once').to.equal(1);
    const light = selfView.show(camera)!;
    expect(light).to.not.equal(camera);
    expect(selfView.show(camera), 'the same copy each time').to.equal(light);
    expect(await waitFor(() => light.getSettings().height === 360, 2000), 'the copy at 360p').to.equal(true);
    expect(light.getSettings().width, 'in the camera’s shape').to.equal(640);
    expect(light.getSettings().frameRate).to.be.at.most(15);

    const shown = await framesOf(light);
    expect(shown.size).to.equal('640x360');
    expect(shown.fps, 'the copy’s frame rate').to.be.within(10, 16);
    const reading = camera.clone();
    const original = await framesOf(reading);
    reading.stop();
    expect(original.size, 'the camera keeps its size').to.equal('1280x720');
    // Chromium's fake camera runs at 20 fps here: above the copy's cap.
    expect(original.fps, 'and its frame rate').to.be.at.least(19);

    // A camera replaced: its copy stops (it would keep the camera open), the new one gets its own.
    const next = await openCamera();
    cleanups.push(() => next.stop());
    selfView.forget(camera);
    expect(light.readyState, 'the copy of a forgotten camera is stopped').to.equal('ended');
    const nextLight = selfView.show(next)!;
    expect(nextLight).to.not.equal(next);
    expect(nextLight.readyState).to.equal('live');
  });

  it('stays light for its hold after the overload ends, unless it comes back, then shows the camera again', async () => {
    const camera = await openCamera();
    cleanups.push(() => camera.stop());
    let changes = 0;
    const selfView = new SelfViewTrack(() => changes++, 300);
    cleanups.push(() => selfView.stop());
    selfView.setOverloaded(true);
    const light = selfView.show(camera)!;

    selfView.setOverloaded(false);
    await sleep(200);
    selfView.setOverloaded(true); // back before the hold ran out
    await sleep(200);
    expect(selfView.show(camera), 'still light: the overload came back').to.equal(light);
    expect(changes).to.equal(1);

    selfView.setOverloaded(false);
    selfView.setOverloaded(false);
    await sleep(100);
    expect(selfView.isLight, 'within the hold').to.equal(true);
    expect(await waitFor(() => !selfView.isLight, 1000), 'light no longer after the hold').to.equal(true);
    expect(changes, 'told to render again').to.equal(2);
    expect(selfView.show(camera), 'the camera itself').to.equal(camera);
    expect(light.readyState, 'the copy stopped').to.equal('ended');

    selfView.setOverloaded(true);
    const again = selfView.show(camera)!;
    selfView.stop();
    expect(again.readyState, 'stop() stops the copy').to.equal('ended');
    expect(selfView.show(camera)).to.equal(camera);
  });
});
