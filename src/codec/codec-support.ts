/**
 * Video codec names and their WebCodecs strings, what this browser can do, and
 * which codec a sender should use for a given room.
 */
import type { CodecName, VideoCodecName } from './codec-names.js';
import { forgetRememberedCodecs, rememberedCodecs, rememberedEncoderConfig } from './codec-support-cache.js';

export type { VideoCodecName };

/**
 * Default preference, best first, chosen by what a sender's CPU and the
 * glass-to-glass latency measured, not by name. In headless Chromium 156 on a
 * 2-core machine (software codecs): CPU per 1280×720 camera frame H.264 15 ms,
 * VP8 23 ms, VP9 37 ms, AV1 46 ms; three simulcast layers H.264 24 ms, VP9 52 ms
 * (`npm run bench -- simulcast`). Glass-to-glass on loopback, camera-like
 * content, 300 pictures: 360p H.264 p50 22 ms / p95 30 ms against VP9 32–35 /
 * 46–50 ms; with a 720p camera H.264 held 720p30 at p50 31–41 ms where VP9 once
 * stepped down to 360p for CPU (`bench/glass-to-glass.ts --codec`). Decoding
 * H.264 is the cheapest too, and most devices do it in hardware. VP9 gives more
 * quality per bit, which matters less than a sender that keeps up at the
 * bitrates used here (about 0.5 Mbit/s at 360p); VP8 is the most widely
 * decodable fallback; AV1's realtime software encoder is the heaviest.
 */
export const DEFAULT_CODEC_PREFERENCE: readonly VideoCodecName[] = ['h264', 'vp9', 'vp8', 'av1'];

/**
 * WebCodecs codec strings. VP9 profile 0 level 1.0 8-bit and AV1 main profile
 * level 3.0 8-bit are what every software implementation accepts; H.264
 * constrained baseline 3.1 keeps decoders simple (no B-frames).
 */
const WEBCODECS: Record<VideoCodecName, string> = {
  vp8: 'vp8',
  vp9: 'vp09.00.10.08',
  av1: 'av01.0.04M.08',
  h264: 'avc1.42E01F',
};

/**
 * The H.264 codec string (constrained baseline) of a level that holds
 * `width`×`height` at `framerate`: 3.1 up to 1280×720 at 30 fps, then 4.0, 5.1 and
 * 5.2 (limits in macroblocks per frame and per second from the specification's
 * table A-1; the levels between are skipped, a higher level is always allowed). A
 * screen share is often above 720p, and an encoder refuses frames above its level.
 */
export function h264CodecString(width: number, height: number, framerate = 30): string {
  const frame = Math.ceil(width / 16) * Math.ceil(height / 16);
  const rate = frame * framerate;
  const level =
    frame <= 3600 && rate <= 108_000
      ? '1F'
      : frame <= 8192 && rate <= 245_760
        ? '28'
        : frame <= 36_864 && rate <= 983_040
          ? '33'
          : '34';
  return `avc1.42E0${level}`;
}

/** `codec` when it is a video codec, null for Opus. */
export function videoCodecOf(codec: CodecName): VideoCodecName | null {
  return codec === 'opus' ? null : codec;
}

/**
 * Decoder configuration for a codec. H.264 is sent in annex B form, so no
 * `description` (avcC) is needed and any keyframe can start a decoder.
 */
export function videoDecoderConfig(
  name: VideoCodecName,
  size?: { width?: number; height?: number },
): VideoDecoderConfig {
  const config: VideoDecoderConfig = {
    // A decoder told a frame size gets the H.264 level for it (a screen share may be above 720p).
    codec: name === 'h264' && size?.width && size.height ? h264CodecString(size.width, size.height) : WEBCODECS[name],
    // hardwareAcceleration is left at its default, 'no-preference': either will do.
    optimizeForLatency: true,
  };
  if (size?.width && size.height) {
    config.codedWidth = size.width;
    config.codedHeight = size.height;
  }
  return config;
}

/** What the encoder should produce. */
export interface VideoEncodeSettings {
  width: number;
  height: number;
  framerate: number;
  bitrate: number;
  /** `'detail'`/`'text'` for screens: the encoder keeps sharpness over motion. */
  contentHint?: string;
  /**
   * Two temporal layers (`L1T2`, default true): every other frame is referenced
   * by none, so a receiver that falls behind skips those instead of waiting for
   * a keyframe.
   */
  temporalLayers?: boolean;
}

/** Encoder configuration for a codec in realtime mode. */
export function videoEncoderConfig(name: VideoCodecName, settings: VideoEncodeSettings): VideoEncoderConfig {
  const config: VideoEncoderConfig = {
    codec: name === 'h264' ? h264CodecString(settings.width, settings.height, settings.framerate) : WEBCODECS[name],
    width: settings.width,
    height: settings.height,
    bitrate: settings.bitrate,
    framerate: settings.framerate,
    // Constant bitrate: there is no congestion control yet, so keep the send rate predictable.
    bitrateMode: 'constant',
    latencyMode: 'realtime',
  };
  if (settings.contentHint) config.contentHint = settings.contentHint;
  if (settings.temporalLayers !== false) config.scalabilityMode = 'L1T2';
  if (name === 'h264') config.avc = { format: 'annexb' };
  return config;
}

/**
 * `config` if this browser's encoder supports it, else `config` without
 * `bitrateMode` if that is supported (some encoders lack constant bitrate),
 * else null. Rejects where the browser throws on the codec string.
 */
export async function supportedEncoderConfig(config: VideoEncoderConfig): Promise<VideoEncoderConfig | null> {
  // Remembered per configuration (in memory, and per browser version in storage for the next
  // join: codec-support-cache.ts): the encoder is reconfigured at every adaptation step and
  // layer change, and each `isConfigSupported` costs the main thread 1–30 ms (measured:
  // 337 ms of a 10 s profile of a two-page call went to these repeated probes). The bitrate
  // changes with the network at every step but never decides support: it is not in the key.
  const key = JSON.stringify({ ...config, bitrate: undefined });
  let probe = encoderSupport.get(key);
  if (!probe) {
    probe = rememberedEncoderConfig(key, () => probeEncoderConfig(config));
    if (encoderSupport.size >= ENCODER_SUPPORT_ENTRIES) encoderSupport.delete(encoderSupport.keys().next().value!);
    encoderSupport.set(key, probe);
    const settled = probe;
    probe.catch(() => encoderSupport.get(key) === settled && encoderSupport.delete(key));
  }
  const supported = await probe;
  return supported && { ...supported, bitrate: config.bitrate };
}

/**
 * Forgets every answer remembered about this browser's codecs, in memory and in
 * storage: the next probe asks the browser again (an encoder refused a codec it
 * was remembered to support).
 */
export function forgetCodecSupport(): void {
  encoderSupport.clear();
  forgetRememberedCodecs();
}

/** Encoder configurations probed so far (JSON of the config without its bitrate → the supported one or null). */
const encoderSupport = new Map<string, Promise<VideoEncoderConfig | null>>();
/** Sizes × codecs × modes a call meets stay well under this. */
const ENCODER_SUPPORT_ENTRIES = 128;

async function probeEncoderConfig(config: VideoEncoderConfig): Promise<VideoEncoderConfig | null> {
  if ((await VideoEncoder.isConfigSupported(config)).supported) return config;
  const withoutMode: VideoEncoderConfig = { ...config };
  delete withoutMode.bitrateMode;
  if ((await VideoEncoder.isConfigSupported(withoutMode)).supported) return withoutMode;
  // An encoder without temporal layers still makes a call: every frame is then layer 0.
  if (!config.scalabilityMode) return null;
  const single: VideoEncoderConfig = { ...config };
  delete single.scalabilityMode;
  return probeEncoderConfig(single);
}

/** The codecs `isSupported` accepts, in {@link DEFAULT_CODEC_PREFERENCE} order. */
async function supportedCodecs(isSupported: (name: VideoCodecName) => Promise<boolean>): Promise<VideoCodecName[]> {
  const found: VideoCodecName[] = [];
  for (const name of DEFAULT_CODEC_PREFERENCE) {
    try {
      if (await isSupported(name)) found.push(name);
    } catch {
      // A browser that throws on a codec string does not support it.
    }
  }
  return found;
}

/**
 * The video codecs this browser can decode, in {@link DEFAULT_CODEC_PREFERENCE} order.
 * Sent to the room in `Join.decoders`. Remembered per browser version (codec-support-cache.ts).
 */
export async function detectDecoders(): Promise<VideoCodecName[]> {
  if (typeof VideoDecoder === 'undefined') return [];
  const config = (name: VideoCodecName) => videoDecoderConfig(name, { width: 1280, height: 720 });
  return rememberedCodecs('decoders', probeKey(config), () =>
    supportedCodecs(async (name) => (await VideoDecoder.isConfigSupported(config(name))).supported === true),
  );
}

/** What the probes ask, as a key: remembered answers to other questions are not reused. */
function probeKey(config: (name: VideoCodecName) => object): string {
  return JSON.stringify(DEFAULT_CODEC_PREFERENCE.map(config));
}

/**
 * The video codecs this browser can encode in realtime at 1280×720, in
 * {@link DEFAULT_CODEC_PREFERENCE} order. Remembered per browser version (codec-support-cache.ts).
 */
export async function detectEncoders(): Promise<VideoCodecName[]> {
  if (typeof VideoEncoder === 'undefined') return [];
  const config = (name: VideoCodecName) =>
    videoEncoderConfig(name, { width: 1280, height: 720, framerate: 30, bitrate: 1_300_000 });
  return rememberedCodecs('encoders', probeKey(config), () =>
    // Probed afresh, not through supportedEncoderConfig's memory: only the stored answers stand for this browser.
    supportedCodecs(async (name) => (await probeEncoderConfig(config(name))) !== null),
  );
}

/** The outcome of {@link chooseCodec}. */
export interface CodecChoice {
  codec: VideoCodecName;
  /** False when some peer cannot decode `codec`: the UI should say so for those peers. */
  everyoneCanDecode: boolean;
  /** Indexes (into `peersDecoders`) of peers that cannot decode `codec`. */
  undecodableBy: number[];
}

/**
 * The codec a sender should encode with: the most preferred one this browser
 * can encode and every peer can decode. When there is none, the encodable codec
 * the most peers can decode (ties broken by preference); when this browser can
 * encode nothing known, VP8, with `everyoneCanDecode: false` to report it.
 *
 * @param localEncoders what {@link detectEncoders} found here
 * @param peersDecoders for each peer, what it announced it can decode
 * @param preferred a codec to try first (e.g. the host page's choice), or a
 *   whole order, best first; the rest of {@link DEFAULT_CODEC_PREFERENCE} follows
 *
 * @example
 * const { codec } = chooseCodec(await detectEncoders(), peers.map((p) => p.decoders));
 */
export function chooseCodec(
  localEncoders: readonly VideoCodecName[],
  peersDecoders: readonly (readonly VideoCodecName[])[],
  preferred?: VideoCodecName | readonly VideoCodecName[],
): CodecChoice {
  const first: readonly VideoCodecName[] =
    preferred === undefined ? [] : typeof preferred === 'string' ? [preferred] : preferred;
  const order = [...first, ...DEFAULT_CODEC_PREFERENCE.filter((c) => !first.includes(c))];
  const candidates = order.filter((c) => localEncoders.includes(c));
  const undecodable = (codec: VideoCodecName) =>
    peersDecoders.flatMap((decoders, index) => (decoders.includes(codec) ? [] : [index]));

  let best: CodecChoice | undefined;
  for (const codec of candidates) {
    const undecodableBy = undecodable(codec);
    if (undecodableBy.length === 0) return { codec, everyoneCanDecode: true, undecodableBy };
    if (!best || undecodableBy.length < best.undecodableBy.length) {
      best = { codec, everyoneCanDecode: false, undecodableBy };
    }
  }
  return best ?? { codec: 'vp8', everyoneCanDecode: false, undecodableBy: undecodable('vp8') };
}
