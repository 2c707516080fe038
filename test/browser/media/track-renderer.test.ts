import { expect } from '@open-wc/testing';
import { TrackFrameRenderer, canRenderToTrack } from '../../../src/render/track-renderer.js';
import { waitFor } from './helpers.js';
import { afterEach, describe, it } from './mocha.js';

/** A 320×180 frame of one flat colour, the way a decoder would hand one over. */
function frameOf(color: string, timestamp: number): VideoFrame {
  const canvas = new OffscreenCanvas(320, 180);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, 320, 180);
  return new VideoFrame(canvas, { timestamp });
}

/** Draws `color` frames every 33 ms until `until` holds or `timeoutMs` passes; how many were drawn. */
async function feed(
  renderer: TrackFrameRenderer,
  color: string,
  until: () => boolean,
  timeoutMs: number,
): Promise<{ met: boolean; frames: VideoFrame[] }> {
  const frames: VideoFrame[] = [];
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const frame = frameOf(color, frames.length * 33_000);
    frames.push(frame);
    renderer.draw(frame);
    await new Promise((r) => setTimeout(r, 33));
    if (until()) return { met: true, frames };
  }
  return { met: false, frames };
}

/** The mean red, green and blue of what the `<video>` shows now. */
function shownColor(video: HTMLVideoElement): [number, number, number] {
  const copy = document.createElement('canvas');
  copy.width = 16;
  copy.height = 9;
  const ctx = copy.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(video, 0, 0, 16, 9);
  const { data } = ctx.getImageData(0, 0, 16, 9);
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
  return sum.map((s) => s / (data.length / 4)) as [number, number, number];
}

describe('TrackFrameRenderer', () => {
  const videos: HTMLVideoElement[] = [];
  afterEach(() => {
    for (const video of videos.splice(0)) video.remove();
  });

  function video(): HTMLVideoElement {
    const element = document.createElement('video');
    element.style.width = '320px';
    document.body.append(element);
    videos.push(element);
    return element;
  }

  it('is available in Chromium', () => {
    expect(canRenderToTrack()).to.equal(true);
  });

  it('shows the frames it is given in the <video>, and closes each one', async () => {
    const element = video();
    const renderer = new TrackFrameRenderer(element);
    const red = await feed(renderer, '#f00', () => element.videoWidth === 320 && shownColor(element)[0] > 200, 5000);
    expect(red.met, 'the <video> never showed red').to.equal(true);
    const blue = await feed(renderer, '#00f', () => shownColor(element)[2] > 200, 5000);
    expect(blue.met, 'the <video> never moved on to blue').to.equal(true);
    await new Promise((r) => setTimeout(r, 100));
    // Every frame was closed: written ones by the track, dropped ones by the renderer.
    expect([...red.frames, ...blue.frames].filter((f) => f.format !== null)).to.deep.equal([]);
    const { framesDrawn, framesDropped, width, height } = renderer.stats;
    expect(framesDrawn + framesDropped).to.equal(red.frames.length + blue.frames.length);
    expect({ width, height }).to.deep.equal({ width: 320, height: 180 });
    expect(element.paused).to.equal(false);
    renderer.close();
  });

  it('drops (and closes) a frame that comes while the previous one is still being written', async () => {
    const element = video();
    const renderer = new TrackFrameRenderer(element);
    const frames = [frameOf('#f00', 0), frameOf('#0f0', 1000), frameOf('#00f', 2000)];
    for (const frame of frames) renderer.draw(frame);
    expect(renderer.stats.framesDropped).to.equal(2);
    expect(frames[1]!.format).to.equal(null);
    expect(frames[2]!.format).to.equal(null);
    expect(await waitFor(() => frames[0]!.format === null, 5000), 'the written frame was never closed').to.equal(true);
    renderer.close();
  });

  it('after close, takes nothing more: frames are closed unseen and the track has ended', async () => {
    const element = video();
    const renderer = new TrackFrameRenderer(element);
    renderer.close();
    const frame = frameOf('#fff', 0);
    renderer.draw(frame);
    expect(frame.format).to.equal(null);
    expect(renderer.stats.framesDrawn).to.equal(0);
    expect(element.srcObject).to.equal(null);
  });
});
