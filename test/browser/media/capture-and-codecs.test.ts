import { expect } from '@open-wc/testing';
import { CaptureError } from '../../../src/capture/capture-error.js';
import { openCamera, openMicrophone } from '../../../src/capture/devices.js';
import { rememberedEncoderConfig } from '../../../src/codec/codec-support-cache.js';
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
      expect(JSON.parse(localStorage.getItem(key)!).decoders.codecs).to.deep.equal(first);

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
      expect(JSON.parse(localStorage.getItem(key)!).decoders.codecs, 'and mended').to.deep.equal(first);

      asked = 0;
      localStorage.setItem(
        key,
        JSON.stringify({ ...stored, decoders: { ...stored.decoders, codecs: ['vp8', 'not-a-codec'] } }),
      );
      expect(await detectDecoders()).to.deep.equal(first);
      expect(asked, 'an unknown codec name is not trusted').to.be.greaterThan(0);
    } finally {
      VideoDecoder.isConfigSupported = original;
      localStorage.removeItem(key);
    }
  });

  it('remembers decoders and encoders side by side: storing one does not make the other ask again', async () => {
    const key = 'videocall-room:codec-support';
    const decoderProbe = VideoDecoder.isConfigSupported.bind(VideoDecoder);
    const encoderProbe = VideoEncoder.isConfigSupported.bind(VideoEncoder);
    let asked = 0;
    VideoDecoder.isConfigSupported = (config) => {
      asked++;
      return decoderProbe(config);
    };
    VideoEncoder.isConfigSupported = (config) => {
      asked++;
      return encoderProbe(config);
    };
    try {
      localStorage.removeItem(key);
      // A join asks for both (in either order); the second join must ask for neither.
      const decoders = await detectDecoders();
      const encoders = await detectEncoders();
      expect(asked, 'the first join asks').to.be.greaterThan(0);
      for (let join = 2; join <= 3; join++) {
        asked = 0;
        expect(await detectEncoders()).to.deep.equal(encoders);
        expect(await detectDecoders()).to.deep.equal(decoders);
        expect(asked, `join ${join}: both remembered`).to.equal(0);
      }
    } finally {
      VideoDecoder.isConfigSupported = decoderProbe;
      VideoEncoder.isConfigSupported = encoderProbe;
      localStorage.removeItem(key);
    }
  });

  it('remembers which encoder configurations are accepted, without their bitrate, beside the codec lists', async () => {
    const key = 'videocall-room:codec-support';
    const config: VideoEncoderConfig = { codec: 'avc1.42E01F', width: 640, height: 360, bitrate: 500_000 };
    const question = JSON.stringify({ ...config, bitrate: undefined });
    let asked = 0;
    const probe = async (answer: VideoEncoderConfig | null) => {
      asked++;
      return answer;
    };
    try {
      localStorage.removeItem(key);
      const decoders = await detectDecoders();
      expect(await rememberedEncoderConfig(question, () => probe(config))).to.deep.equal(config);
      expect(asked, 'nothing remembered: asked').to.equal(1);
      const stored = JSON.parse(localStorage.getItem(key)!);
      const withoutBitrate = { codec: config.codec, width: 640, height: 360 };
      expect(stored.configs[question], 'stored without the bitrate').to.deep.equal(withoutBitrate);
      expect(stored.decoders.codecs, 'the codec lists stay').to.deep.equal(decoders);

      expect(await rememberedEncoderConfig(question, () => probe(null))).to.deep.equal(withoutBitrate);
      expect(asked, 'remembered: not asked again').to.equal(1);

      const refused = JSON.stringify({ ...config, codec: 'av01.0.04M.08', bitrate: undefined });
      expect(await rememberedEncoderConfig(refused, () => probe(null))).to.equal(null);
      expect(await rememberedEncoderConfig(refused, () => probe(config))).to.equal(null);
      expect(asked, 'a refusal is remembered too').to.equal(2);

      localStorage.setItem(key, JSON.stringify({ ...stored, configs: { [question]: { codec: 42 } } }));
      expect(await rememberedEncoderConfig(question, () => probe(config))).to.deep.equal(config);
      expect(asked, 'damaged: asked again').to.equal(3);

      for (let i = 0; i < 60; i++) await rememberedEncoderConfig(`q${i}`, () => probe(null));
      const configs = JSON.parse(localStorage.getItem(key)!).configs;
      expect(Object.keys(configs).length, 'bounded').to.be.at.most(48);
      expect(configs, 'the oldest went first').to.not.have.property(question);
      expect(configs).to.have.property('q59');
    } finally {
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
