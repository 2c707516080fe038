/**
 * Microphone (or a shared tab's audio) → mono 10 or 20 ms frames → `AudioEncoder`
 * (Opus) → {@link EncodedMedia} with an RFC 6464 audio level per packet.
 */
import { CaptureClock } from '../capture/capture-clock.js';
import { readEach } from '../capture/read-each.js';
import { audioLevel } from './audio-level.js';
import { toMono } from './audio-samples.js';
import { nextSequence, type EncodedMedia } from './encoded-media.js';
import { MediaPipelineError } from './media-pipeline-error.js';
import { wallClockMs } from '../shared/clock.js';

/** Options of {@link AudioEncodePipeline}. */
export interface AudioEncodeOptions {
  /** Called for every Opus packet, in order. */
  onEncoded: (media: EncodedMedia) => void;
  /** Called when the pipeline cannot go on (`codec-unsupported`, `encoder-failed`, `capture-ended`). */
  onError?: (error: MediaPipelineError) => void;
  /** Opus bitrate; default 32 kbps (wideband speech with headroom). */
  bitrate?: number;
  /** The kind of track the packets are: `audio` (a microphone, the default) or `screen-audio` (a share's sound). */
  kind?: 'audio' | 'screen-audio';
  /** Packet duration, 10 or 20 ms; default {@link DEFAULT_FRAME_MS}. */
  frameMs?: 10 | 20;
}

/** Counters of an {@link AudioEncodePipeline}. */
export interface AudioEncodeStats {
  packets: number;
  bytes: number;
  /** Input `AudioData` read and discarded while muted. */
  droppedMuted: number;
  /** Level (RFC 6464) of the last packet sent; 127 before any. */
  lastLevel: number;
  /** Sample rate of the microphone (0 before the first audio). */
  sampleRate: number;
  restarts: number;
  /** Times the microphone's timestamps jumped (a gap, or another timeline): a new run of packets began. */
  discontinuities: number;
}

/** Counters before any audio: nothing sent, the level at 127 (silence). */
export function emptyAudioEncodeStats(): AudioEncodeStats {
  return { packets: 0, bytes: 0, droppedMuted: 0, lastLevel: 127, sampleRate: 0, restarts: 0, discontinuities: 0 };
}

/**
 * Packet duration by default: 10 ms, 10 ms less packetization than Opus's usual
 * 20 ms for a little more overhead. With 20 ms frames read on busy main threads
 * (2026-12-02) twice the packets made arrivals so much burstier that the jitter
 * buffer held 200 ms instead of 126–144 ms. Read and decoded in the media worker
 * (2026-12-04, `npx tsx bench/glass-to-glass.ts --mic`, 2 runs each) they took
 * mouth-to-ear from 61–63 to 52–53 ms on a quiet machine without growing the
 * buffer, and in the two-page call (`npx tsx bench/busy-call.ts --baseline-dist`)
 * glass-to-glass p50 ×0.73 against 20 ms frames.
 */
export const DEFAULT_FRAME_MS = 10;
/** An input timestamp this far from where the previous audio ended starts a new run of frames. */
const DISCONTINUITY_US = 30_000;
/** The encoder may hold this much audio before input is dropped (it never should with Opus). */
const MAX_ENCODE_QUEUE = 10;
const MAX_RESTARTS = 3;

/**
 * Encodes a microphone for the room: Opus, mono, 10 ms packets (or 20).
 *
 * The microphone's `AudioData` (10 ms in Chromium) is mixed to mono and cut
 * into exact frames, so each packet has one measured level. Timestamps
 * count samples from the microphone's own, restarting after a gap (unmute).
 * While muted nothing is sent, not even silence.
 *
 * @example
 * const mic = new AudioEncodePipeline({ onEncoded: (m) => room.sendMedia(m) });
 * mic.start(audioData(await openMicrophone()));
 * mic.setMuted(true);
 */
export class AudioEncodePipeline {
  private readonly options: AudioEncodeOptions;
  private readonly frameMs: number;
  private reader: ReadableStreamDefaultReader<AudioData> | undefined;
  private encoder: AudioEncoder | undefined;
  private config: AudioEncoderConfig | undefined;
  private configuredRate = 0;
  private configuring = false;
  private isMuted = false;
  private stopped = false;
  private sequence = 0;
  private failures = 0;
  // The frame being filled.
  private frame: Float32Array<ArrayBuffer> | undefined;
  private filled = 0;
  private frameTimestamp = 0;
  /** Where (µs) the audio read so far ends; a new input far from it is a discontinuity. */
  private expectedNext = -Infinity;
  /** Maps the microphone's timestamps to when it captured them, so a backlog in reading it shows. */
  private readonly captureClock = new CaptureClock();
  /**
   * Timestamps within a continuous run count samples from the run's first input,
   * so consecutive packets are exactly a frame apart (the jitter buffer relies on it).
   */
  private runStart = 0;
  private runSamples = 0;
  /** Frames handed to the encoder (exact timestamp, level), matched to its output by timestamp. */
  private readonly inFlight: { timestamp: number; level: number; captureTime: number }[] = [];
  private readonly counters = emptyAudioEncodeStats();

  constructor(options: AudioEncodeOptions) {
    this.options = options;
    this.frameMs = options.frameMs ?? DEFAULT_FRAME_MS;
  }

  /** True while muted. */
  get muted(): boolean {
    return this.isMuted;
  }

  /** A snapshot of the counters. */
  get stats(): AudioEncodeStats {
    return { ...this.counters };
  }

  /**
   * Starts encoding a microphone's audio (`audioData(track)` on the page; in the
   * media worker, what the page sent it), or switches to another microphone's.
   * Stopping cancels the stream, which releases what reading took, not the track.
   */
  start(input: ReadableStream<AudioData>): void {
    if (this.stopped) throw new Error('AudioEncodePipeline: start() after stop()');
    this.reader?.cancel().catch(() => {});
    const reader = input.getReader();
    this.reader = reader;
    this.resetFrame();
    this.captureClock.reset(); // another microphone may keep another clock
    void this.run(reader);
  }

  /**
   * Muted: the microphone keeps being read (so unmuting is instant) but
   * nothing is encoded or sent. Packets the encoder still holds are discarded.
   */
  setMuted(muted: boolean): void {
    if (muted === this.isMuted) return;
    this.isMuted = muted;
    if (muted) this.restartRun();
  }

  /** Stops reading and releases the encoder; the track is left to its owner. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reader?.cancel().catch(() => {});
    this.reader = undefined;
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = undefined;
  }

  private run(reader: ReadableStreamDefaultReader<AudioData>): Promise<void> {
    return readEach(reader, {
      // Ends when stopped or when start() moved on to another microphone (another reader).
      current: () => !this.stopped && reader === this.reader,
      handle: (data) => this.handle(data),
      failed: (error) => this.fail('capture-ended', 'Reading the microphone failed.', error),
      ended: () => this.fail('capture-ended', 'The microphone track ended.'),
    });
  }

  private handle(data: AudioData): void {
    if (this.isMuted) {
      this.counters.droppedMuted++;
      return;
    }
    const rate = data.sampleRate;
    if (rate !== this.configuredRate) {
      if (!this.configuring) void this.configure(rate);
      return;
    }
    const encoder = this.encoder;
    if (!encoder || encoder.state !== 'configured') return;

    const mono = toMono(data);
    const frameLength = (rate * this.frameMs) / 1000;
    if (Math.abs(data.timestamp - this.expectedNext) > DISCONTINUITY_US) {
      if (this.expectedNext !== -Infinity) {
        this.restartRun();
        this.counters.discontinuities++;
      }
      // The source's timeline moved: what it says of when it captured has to be learnt again.
      this.captureClock.reset();
      this.runStart = data.timestamp;
      this.runSamples = 0;
    }
    this.expectedNext = data.timestamp + (mono.length / rate) * 1e6;
    this.captureClock.read(this.expectedNext, wallClockMs());

    let offset = 0;
    while (offset < mono.length) {
      if (!this.frame) {
        this.frame = new Float32Array(frameLength);
        this.filled = 0;
        this.frameTimestamp = this.runStart + Math.round((this.runSamples / rate) * 1e6);
      }
      const n = Math.min(mono.length - offset, frameLength - this.filled);
      this.frame.set(mono.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      this.runSamples += n;
      if (this.filled === frameLength) {
        this.encodeFrame(encoder, this.frame, this.frameTimestamp, rate);
        this.frame = undefined;
      }
    }
  }

  private encodeFrame(encoder: AudioEncoder, frame: Float32Array<ArrayBuffer>, timestamp: number, rate: number): void {
    if (encoder.encodeQueueSize > MAX_ENCODE_QUEUE) return;
    const captureTime = this.captureClock.wallClockOf(timestamp) ?? wallClockMs() - this.frameMs;
    this.inFlight.push({ timestamp, level: audioLevel(frame), captureTime });
    if (this.inFlight.length > 50) this.inFlight.shift();
    const data = new AudioData({
      format: 'f32-planar',
      sampleRate: rate,
      numberOfFrames: frame.length,
      numberOfChannels: 1,
      timestamp,
      data: frame,
    });
    try {
      encoder.encode(data);
    } finally {
      data.close();
    }
  }

  private resetFrame(): void {
    this.frame = undefined;
    this.filled = 0;
    this.expectedNext = -Infinity;
  }

  /**
   * Starts a new run of frames after a pause (mute) or a gap in the input:
   * the encoder is reset, dropping what it holds, because it numbers its
   * output timestamps itself and would carry on the old timeline.
   */
  private restartRun(): void {
    this.resetFrame();
    this.inFlight.length = 0;
    const encoder = this.encoder;
    if (encoder && encoder.state === 'configured' && this.config) {
      encoder.reset();
      encoder.configure(this.config);
    }
  }

  private async configure(rate: number): Promise<void> {
    this.configuring = true;
    const bitrate = this.options.bitrate ?? 32_000;
    // Opus resamples internally, so the microphone's own rate is configured (Chromium requires the match).
    const config: AudioEncoderConfig = {
      codec: 'opus',
      sampleRate: rate,
      numberOfChannels: 1,
      bitrate,
      opus: { frameDuration: this.frameMs * 1000 },
    };
    try {
      let support = await AudioEncoder.isConfigSupported(config);
      if (!support.supported) {
        // Browsers without the `opus` block pick their own frame size; the frames we cut decide it.
        delete config.opus;
        support = await AudioEncoder.isConfigSupported(config);
      }
      if (this.stopped) return;
      if (!support.supported) {
        this.fail('codec-unsupported', `This browser cannot encode Opus at ${rate} Hz.`);
        return;
      }
      if (!this.encoder || this.encoder.state === 'closed') this.encoder = this.createEncoder();
      this.encoder.configure(config);
      this.config = config;
      this.configuredRate = rate;
      this.counters.sampleRate = rate;
      this.resetFrame();
    } catch (error) {
      this.fail('codec-unsupported', 'Configuring the Opus encoder failed.', error);
    } finally {
      this.configuring = false;
    }
  }

  private createEncoder(): AudioEncoder {
    const encoder: AudioEncoder = new AudioEncoder({
      output: (chunk) => this.output(chunk),
      error: (error) => {
        if (encoder !== this.encoder || this.stopped) return;
        this.encoder = undefined;
        this.configuredRate = 0;
        this.failures++;
        this.counters.restarts++;
        if (this.failures > MAX_RESTARTS) {
          this.fail('encoder-failed', `The Opus encoder failed ${this.failures} times in a row.`, error);
        }
      },
    });
    return encoder;
  }

  private output(chunk: EncodedAudioChunk): void {
    if (this.stopped || this.isMuted) return;
    this.failures = 0;
    // The encoder's own timestamps wander by a microsecond; the frame's are exact.
    const { timestamp, level, captureTime } = this.frameFor(chunk.timestamp);
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    this.counters.packets++;
    this.counters.bytes += data.byteLength;
    this.counters.lastLevel = level;
    const media: EncodedMedia = {
      kind: this.options.kind ?? 'audio',
      codec: 'opus',
      keyframe: true,
      timestamp,
      sequence: this.sequence,
      data,
      audioLevel: level,
      captureTime,
    };
    this.sequence = nextSequence(this.sequence);
    this.options.onEncoded(media);
  }

  /** The frame (exact timestamp, level) nearest `timestamp`; frames before it are forgotten. */
  private frameFor(timestamp: number): { timestamp: number; level: number; captureTime?: number } {
    let best = -1;
    let bestDistance = Infinity;
    for (let i = 0; i < this.inFlight.length; i++) {
      const distance = Math.abs(this.inFlight[i]!.timestamp - timestamp);
      if (distance < bestDistance) {
        best = i;
        bestDistance = distance;
      }
    }
    // Half a frame away means no match (should not happen): keep the encoder's timestamp.
    if (best < 0 || bestDistance > (this.frameMs * 1000) / 2) return { timestamp, level: 127 };
    const frame = this.inFlight[best]!;
    this.inFlight.splice(0, best + 1);
    return frame;
  }

  private fail(code: MediaPipelineError['code'], message: string, cause?: unknown): void {
    const error = new MediaPipelineError(code, message, { cause });
    this.stop();
    this.options.onError?.(error);
  }
}
