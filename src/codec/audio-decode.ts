/**
 * {@link EncodedMedia} of one remote audio track → `AudioDecoder` (Opus) → mono
 * 48 kHz PCM with its media time in samples, for the jitter buffer.
 */
import { resampleLinear, toMono } from './audio-samples.js';
import { sequenceDelta, type EncodedMedia } from './encoded-media.js';
import { MediaPipelineError } from './media-pipeline-error.js';

/** The rate everything after the decoder runs at (Opus decodes natively at 48 kHz). */
export const PLAYOUT_SAMPLE_RATE = 48000;

/** What the decoder knows about a decoded packet beyond its samples. */
export interface AudioDecodeInfo {
  /** The packet's media timestamp as sent, µs. */
  timestamp: number;
  /** Packets missing just before this one (a sequence gap). The jitter buffer conceals them from the timestamps. */
  lost: number;
  /** The sender's level for this packet (RFC 6464, 127 = silence), when it sent one. */
  audioLevel: number | undefined;
}

/** Options of {@link AudioDecodePipeline}. */
export interface AudioDecodeOptions {
  /**
   * Each decoded packet: mono samples at 48 kHz and the media time of the first
   * one, in samples (the sender's µs timestamp × 0.048). The callee owns `pcm`.
   */
  onAudio: (pcm: Float32Array, timestampSamples: number, info: AudioDecodeInfo) => void;
  /** Repeated decoder failures (`decoder-failed`); decoding resumes with the next packet. */
  onError?: (error: MediaPipelineError) => void;
}

/** Counters of an {@link AudioDecodePipeline}. */
export interface AudioDecodeStats {
  packetsIn: number;
  packetsDecoded: number;
  /** Packets never received, from sequence gaps. */
  packetsLost: number;
  /** Duplicates and packets older than one already decoded. */
  packetsStale: number;
  /** Packets dropped because the decoder was behind. */
  droppedBusy: number;
  errors: number;
}

/** Further back than this (in packets: 1 s of 20 ms audio) the sender must have restarted its numbering. */
const RESTART_DISTANCE = 50;
/** Counters before the first packet. */
export function emptyAudioDecodeStats(): AudioDecodeStats {
  return { packetsIn: 0, packetsDecoded: 0, packetsLost: 0, packetsStale: 0, droppedBusy: 0, errors: 0 };
}

/**
 * More queued than this (2 s of audio) and the decoder is stuck: drop input. Below it a
 * burst is decoded in full (Opus decodes a packet in microseconds): the jitter buffer,
 * not the decoder, decides what is too late to play.
 */
const MAX_DECODE_QUEUE = 100;
const FAILURES_TO_REPORT = 3;

/**
 * Decodes one remote Opus track.
 *
 * @example
 * const stream = playout.createStream(peerId);
 * const decode = new AudioDecodePipeline({ onAudio: (pcm, ts) => stream.push(pcm, ts) });
 * room.onAudio = (media) => decode.push(media);
 */
export class AudioDecodePipeline {
  private readonly options: AudioDecodeOptions;
  private decoder: AudioDecoder | undefined;
  private lastSequence: number | undefined;
  private consecutiveFailures = 0;
  private closed = false;
  /** Where the last decoded audio ended, in samples: the next packet normally starts exactly there. */
  private expectedTimestamp: number | undefined;
  /**
   * Per queued packet, in decode order (Opus gives one output per packet): its
   * timestamp, how many were lost before it, its level. The decoder's own output
   * timestamps cannot be used: Chromium numbers them from the first packet on,
   * ignoring gaps, so a loss would shift all later audio.
   */
  private readonly pending: (AudioDecodeInfo & { timestamp: number })[] = [];
  private readonly counters: AudioDecodeStats = emptyAudioDecodeStats();

  constructor(options: AudioDecodeOptions) {
    this.options = options;
  }

  /** A snapshot of the counters. */
  get stats(): AudioDecodeStats {
    return { ...this.counters };
  }

  /** Feeds one received Opus packet. */
  push(media: EncodedMedia): void {
    if (this.closed || media.codec !== 'opus') return;
    this.counters.packetsIn++;
    let lost = 0;
    if (media.sequence !== undefined) {
      if (this.lastSequence !== undefined) {
        const delta = sequenceDelta(media.sequence, this.lastSequence);
        if (delta <= 0 && delta > -RESTART_DISTANCE) {
          this.counters.packetsStale++;
          return;
        }
        // Far jumps either way mean the sender restarted its numbering, not loss.
        if (delta > 1 && delta < RESTART_DISTANCE) lost = delta - 1;
      }
      this.lastSequence = media.sequence;
    }
    this.counters.packetsLost += lost;

    const decoder = this.ensureDecoder();
    if (!decoder) return;
    if (decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
      this.counters.droppedBusy++;
      return;
    }
    try {
      decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: media.timestamp, data: media.data }));
      this.pending.push({ timestamp: media.timestamp, lost, audioLevel: media.audioLevel });
    } catch (error) {
      this.failed(error);
    }
  }

  /** Configures the decoder now, so the first packet does not wait for it. */
  prepare(): void {
    if (!this.closed) this.ensureDecoder();
  }

  /** Releases the decoder. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
  }

  private ensureDecoder(): AudioDecoder | undefined {
    if (this.decoder && this.decoder.state === 'configured') return this.decoder;
    try {
      const decoder: AudioDecoder = new AudioDecoder({
        output: (data) => this.output(data),
        error: (error) => {
          if (decoder === this.decoder) this.failed(error);
        },
      });
      decoder.configure({ codec: 'opus', sampleRate: PLAYOUT_SAMPLE_RATE, numberOfChannels: 1 });
      this.decoder = decoder;
      this.pending.length = 0;
      return decoder;
    } catch (error) {
      this.failed(error);
      return undefined;
    }
  }

  private output(data: AudioData): void {
    try {
      if (this.closed) return;
      this.consecutiveFailures = 0;
      this.counters.packetsDecoded++;
      const packet = this.pending.shift() ?? { timestamp: data.timestamp, lost: 0, audioLevel: undefined };
      const info: AudioDecodeInfo = { timestamp: packet.timestamp, lost: packet.lost, audioLevel: packet.audioLevel };
      let pcm = toMono(data);
      if (data.sampleRate !== PLAYOUT_SAMPLE_RATE) pcm = resampleLinear(pcm, data.sampleRate, PLAYOUT_SAMPLE_RATE);
      let timestampSamples = Math.round((packet.timestamp * PLAYOUT_SAMPLE_RATE) / 1e6);
      // Microsecond timestamps round to ±1 sample; snap to the continuation so no 1-sample gap or overlap reaches the buffer.
      if (this.expectedTimestamp !== undefined && Math.abs(timestampSamples - this.expectedTimestamp) <= 2) {
        timestampSamples = this.expectedTimestamp;
      }
      this.expectedTimestamp = timestampSamples + pcm.length;
      this.options.onAudio(pcm, timestampSamples, info);
    } finally {
      data.close();
    }
  }

  private failed(error: unknown): void {
    this.counters.errors++;
    this.consecutiveFailures++;
    const decoder = this.decoder;
    this.decoder = undefined;
    if (decoder && decoder.state !== 'closed') decoder.close();
    if (this.consecutiveFailures === FAILURES_TO_REPORT) {
      this.options.onError?.(
        new MediaPipelineError('decoder-failed', `The Opus decoder failed ${FAILURES_TO_REPORT} times in a row.`, {
          cause: error,
        }),
      );
    }
  }
}
