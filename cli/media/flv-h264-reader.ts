/**
 * H.264 from ffmpeg's FLV output, turned into annex B access units as the
 * element's decoders take them (`avc` format `annexb`, no description). FLV
 * because it frames each access unit and flags keyframes: a raw annex B pipe
 * only shows where a frame ends when the next one begins, a frame late.
 */
import { ByteQueue } from './byte-queue.js';

const FLV_HEADER_BYTES = 9;
const PREVIOUS_TAG_SIZE_BYTES = 4;
const TAG_HEADER_BYTES = 11;
const VIDEO_TAG = 9;
const AVC_CODEC_ID = 7;
const MAX_TAG_BYTES = 16 * 1024 * 1024;
const START_CODE = Uint8Array.of(0, 0, 0, 1);

/** One access unit, annex B. */
export interface H264AccessUnit {
  keyframe: boolean;
  data: Uint8Array;
}

/** Reads FLV incrementally: push pipe chunks, get access units. */
export class FlvH264Reader {
  private readonly queue = new ByteQueue();
  private headerRead = false;
  /** SPS and PPS (annex B) from the sequence header, put before every keyframe. */
  private parameterSets: Uint8Array = new Uint8Array(0);
  private lengthSize = 4;

  /** Adds `chunk`; returns the access units it completed. Throws on a stream that is not FLV. */
  push(chunk: Uint8Array): H264AccessUnit[] {
    this.queue.push(chunk);
    const out: H264AccessUnit[] = [];
    if (!this.headerRead) {
      const head = this.queue.peek(FLV_HEADER_BYTES + PREVIOUS_TAG_SIZE_BYTES);
      if (!head) return out;
      if (head[0] !== 0x46 || head[1] !== 0x4c || head[2] !== 0x56) throw new Error('not an FLV stream');
      const headerSize = ((head[5]! << 24) | (head[6]! << 16) | (head[7]! << 8) | head[8]!) >>> 0;
      if (this.queue.length < headerSize + PREVIOUS_TAG_SIZE_BYTES) return out;
      this.queue.skip(headerSize + PREVIOUS_TAG_SIZE_BYTES);
      this.headerRead = true;
    }
    for (;;) {
      const head = this.queue.peek(TAG_HEADER_BYTES);
      if (!head) break;
      const size = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
      if (size > MAX_TAG_BYTES) throw new Error(`FLV tag of ${size} bytes`);
      if (this.queue.length < TAG_HEADER_BYTES + size + PREVIOUS_TAG_SIZE_BYTES) break;
      this.queue.skip(TAG_HEADER_BYTES);
      const body = this.queue.read(size)!;
      this.queue.skip(PREVIOUS_TAG_SIZE_BYTES);
      if (head[0] !== VIDEO_TAG || body.length < 5 || (body[0]! & 0x0f) !== AVC_CODEC_ID) continue;
      const keyframe = body[0]! >> 4 === 1;
      if (body[1] === 0) this.readSequenceHeader(body.subarray(5));
      else if (body[1] === 1) {
        const unit = this.annexB(body.subarray(5), keyframe);
        if (unit.length > 0) out.push({ keyframe, data: unit });
      }
    }
    return out;
  }

  /** AVCDecoderConfigurationRecord: NAL length size, SPS and PPS. */
  private readSequenceHeader(record: Uint8Array): void {
    if (record.length < 7) return;
    this.lengthSize = (record[4]! & 0x03) + 1;
    const sets: Uint8Array[] = [];
    let at = 5;
    for (const countMask of [0x1f, 0xff]) {
      const count = (record[at++] ?? 0) & countMask;
      for (let i = 0; i < count && at + 2 <= record.length; i++) {
        const len = (record[at]! << 8) | record[at + 1]!;
        at += 2;
        sets.push(START_CODE, record.subarray(at, at + len));
        at += len;
      }
    }
    this.parameterSets = concat(sets);
  }

  /** Length-prefixed NAL units as annex B, parameter sets first on a keyframe. */
  private annexB(nalus: Uint8Array, keyframe: boolean): Uint8Array {
    const parts: Uint8Array[] = keyframe ? [this.parameterSets] : [];
    let at = 0;
    while (at + this.lengthSize <= nalus.length) {
      let len = 0;
      for (let i = 0; i < this.lengthSize; i++) len = len * 256 + nalus[at + i]!;
      at += this.lengthSize;
      if (len === 0 || at + len > nalus.length) break;
      parts.push(START_CODE, nalus.subarray(at, at + len));
      at += len;
    }
    return concat(parts);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
