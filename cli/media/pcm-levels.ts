/**
 * Audio levels for the clear routing header, from the PCM ffmpeg also writes
 * (s16le, mono, 48 kHz) alongside the Opus it encodes: the level of each
 * packet's samples, as the element computes it (RFC 6464, src/codec/audio-level.ts).
 */
import { levelFromRms } from '../../src/codec/audio-level.js';

/** Levels queued while Opus lags the PCM (the encoder's delay); more means the Opus pipe stalled. */
const MAX_QUEUED = 500;

export class PcmLevels {
  private carry = new Uint8Array(0);
  /** Running sum of squares and sample count of the samples not yet given to a packet. */
  private energy = 0;
  private counted = 0;
  /** Per sample, in order: nothing kept but per-block sums (10 ms blocks). */
  private readonly blocks: { energy: number; samples: number }[] = [];
  private last = 127;

  /** Adds s16le bytes. */
  push(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.carry.length > 0) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
    }
    const whole = bytes.length & ~1;
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    for (let i = 0; i < whole; i += 2) {
      const s = view.getInt16(i, true) / 32768;
      this.energy += s * s;
      if (++this.counted === BLOCK) {
        this.blocks.push({ energy: this.energy, samples: this.counted });
        this.energy = 0;
        this.counted = 0;
      }
    }
    this.carry = bytes.slice(whole);
    if (this.blocks.length > MAX_QUEUED) this.blocks.splice(0, this.blocks.length - MAX_QUEUED);
  }

  /** The level (0 loud .. 127 silent) of the next `samples`; the last one when the PCM is behind. */
  next(samples: number): number {
    let energy = 0;
    let n = 0;
    while (n < samples && this.blocks.length > 0) {
      const block = this.blocks.shift()!;
      energy += block.energy;
      n += block.samples;
    }
    if (n > 0) this.last = levelFromRms(Math.sqrt(energy / n));
    return this.last;
  }
}

/** 10 ms at 48 kHz: Opus packets last a whole number of these (20 ms here). */
const BLOCK = 480;
