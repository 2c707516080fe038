import { expect } from '@open-wc/testing';
import { CaptureError } from '../../../src/capture/capture-error.js';
import { openCamera, openMicrophone } from '../../../src/capture/devices.js';
import { chooseCodec, detectDecoders, detectEncoders } from '../../../src/codec/codec-support.js';
import { describe, it } from './mocha.js';
import '../collect-garbage.js';

describe('capture', () => {
  it('opens the camera at 1280×720 by default', async () => {
    const track = await openCamera();
    try {
      expect(track.kind).to.equal('video');
      expect(track.getSettings()).to.include({ width: 1280, height: 720 });
    } finally {
      track.stop();
    }
  });

  it('reports a camera that does not exist as camera-missing, with the constraint', async () => {
    let error: unknown;
    try {
      (await openCamera({ deviceId: 'no-such-camera' })).stop();
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CaptureError);
    expect((error as CaptureError).code).to.equal('camera-missing');
    expect((error as CaptureError).message).to.contain('deviceId');
    expect(((error as CaptureError).cause as DOMException).name).to.equal('OverconstrainedError');
  });

  it('reports a microphone that does not exist as mic-missing', async () => {
    let error: unknown;
    try {
      (await openMicrophone({ deviceId: 'no-such-mic' })).stop();
    } catch (e) {
      error = e;
    }
    expect((error as CaptureError).code).to.equal('mic-missing');
  });
});

describe('codec support in this browser', () => {
  it('decodes and encodes VP8, VP9, AV1 and H.264 (headless Chromium, software)', async () => {
    expect(await detectDecoders()).to.have.members(['vp8', 'vp9', 'av1', 'h264']);
    expect(await detectEncoders()).to.have.members(['vp8', 'vp9', 'av1', 'h264']);
  });

  it('remembers the answers per browser version, so a second join asks the browser nothing', async () => {
    const key = 'videocall-room:codec-support';
    const original = VideoDecoder.isConfigSupported.bind(VideoDecoder);
    let asked = 0;
    VideoDecoder.isConfigSupported = (config) => {
      asked++;
      return original(config);
    };
    try {
      localStorage.removeItem(key);
      const first = await detectDecoders();
      expect(asked, 'nothing remembered: the browser is asked').to.be.greaterThan(0);
      expect(JSON.parse(localStorage.getItem(key)!).decoders).to.deep.equal(first);

      asked = 0;
      expect(await detectDecoders()).to.deep.equal(first);
      expect(asked, 'remembered: not asked again').to.equal(0);

      const stored = JSON.parse(localStorage.getItem(key)!);
      localStorage.setItem(key, JSON.stringify({ ...stored, browser: 'Chromium/1.0 (an older version)' }));
      expect(await detectDecoders()).to.deep.equal(first);
      expect(asked, 'another browser version: asked again').to.be.greaterThan(0);

      asked = 0;
      localStorage.setItem(key, '{"browser": 42, "decoders": "vp8"');
      expect(await detectDecoders()).to.deep.equal(first);
      expect(asked, 'damaged storage: asked again').to.be.greaterThan(0);
      expect(JSON.parse(localStorage.getItem(key)!).decoders, 'and mended').to.deep.equal(first);

      asked = 0;
      localStorage.setItem(key, JSON.stringify({ ...stored, decoders: ['vp8', 'not-a-codec'] }));
      expect(await detectDecoders()).to.deep.equal(first);
      expect(asked, 'an unknown codec name is not trusted').to.be.greaterThan(0);
    } finally {
      VideoDecoder.isConfigSupported = original;
      localStorage.removeItem(key);
    }
  });

  it('chooses a codec every peer can decode from what it can encode', async () => {
    const local = await detectEncoders();
    expect(chooseCodec(local, [['vp8'], ['vp8', 'vp9']]).codec).to.equal('vp8');
    expect(chooseCodec(local, [['av1', 'h264'], ['h264']])).to.deep.equal({
      codec: 'h264',
      everyoneCanDecode: true,
      undecodableBy: [],
    });
  });
});
