/**
 * IVF, the container ffmpeg writes VP8 and VP9 frames in to a pipe: a 32-byte
 * file header, then per frame a 12-byte header (size, 64-bit pts) and the frame.
 */
import { ByteQueue } from './byte-queue.js';

const FILE_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 12;
/** A frame larger than this is no frame of ours: the stream is corrupt. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** One coded frame from an IVF stream. */
export interface IvfFrame {
  /** Presentation time in µs, from the pts and the stream's time base. */
  timestampUs: number;
  data: Uint8Array;
}

/** Reads IVF incrementally: push pipe chunks, get whole frames. */
export class IvfReader {
  private readonly queue = new ByteQueue();
  private header: { fourcc: string; width: number; height: number; rate: number; scale: number } | null = null;

  /** The stream's codec (`VP80`, `VP90`) and size, once the file header arrived. */
  get info(): { fourcc: string; width: number; height: number } | null {
    return this.header;
  }

  /** Adds `chunk`; returns the frames it completed. Throws on a stream that is not IVF. */
  push(chunk: Uint8Array): IvfFrame[] {
    this.queue.push(chunk);
    const frames: IvfFrame[] = [];
    if (!this.header) {
      const head = this.queue.read(FILE_HEADER_BYTES);
      if (!head) return frames;
      const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const signature = String.fromCharCode(...head.subarray(0, 4));
      if (signature !== 'DKIF') throw new Error('not an IVF stream');
      this.header = {
        fourcc: String.fromCharCode(...head.subarray(8, 12)),
        width: view.getUint16(12, true),
        height: view.getUint16(14, true),
        rate: view.getUint32(16, true) || 1,
        scale: view.getUint32(20, true) || 1,
      };
    }
    for (;;) {
      const head = this.queue.peek(FRAME_HEADER_BYTES);
      if (!head) break;
      const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const size = view.getUint32(0, true);
      if (size > MAX_FRAME_BYTES) throw new Error(`IVF frame of ${size} bytes`);
      if (this.queue.length < FRAME_HEADER_BYTES + size) break;
      const pts = view.getUint32(4, true) + view.getUint32(8, true) * 2 ** 32;
      this.queue.skip(FRAME_HEADER_BYTES);
      // A copy: the frame outlives the pipe's chunk (it is encrypted and sent later).
      const data = this.queue.read(size)!.slice();
      const { rate, scale } = this.header;
      frames.push({ timestampUs: Math.round((pts * scale * 1e6) / rate), data });
    }
    return frames;
  }
}

/** Whether a VP8 frame is a keyframe: bit 0 of its frame tag is 0 (RFC 6386 §9.1). */
export function isVp8Keyframe(frame: Uint8Array): boolean {
  return frame.length > 0 && (frame[0]! & 0x01) === 0;
}

/**
 * Whether a VP9 frame is a keyframe, from its uncompressed header: frame marker,
 * profile (2 bits, low first), a reserved bit for profile 3, show_existing_frame,
 * then frame_type (0 = key).
 */
export function isVp9Keyframe(frame: Uint8Array): boolean {
  if (frame.length === 0) return false;
  const b = frame[0]!;
  if (b >> 6 !== 0b10) return false;
  const profile = ((b >> 5) & 1) | (((b >> 4) & 1) << 1);
  let bit = profile === 3 ? 2 : 3; // bits left of the profile, from bit 3 down
  const showExisting = (b >> bit) & 1;
  if (showExisting) return false;
  bit -= 1;
  return ((b >> bit) & 1) === 0;
}
