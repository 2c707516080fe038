/**
 * Opus packets from ffmpeg's Ogg output (RFC 7845): pages of lacing segments,
 * a packet continuing across segments of 255. The first two packets (OpusHead,
 * OpusTags) are headers, not audio.
 */
import { ByteQueue } from './byte-queue.js';

const PAGE_HEADER_BYTES = 27;
const MAX_PACKET_BYTES = 64 * 1024;

/** One Opus packet and how many 48 kHz samples it lasts. */
export interface OpusPacket {
  data: Uint8Array;
  samples: number;
}

/** Reads Ogg Opus incrementally: push pipe chunks, get audio packets. */
export class OggOpusReader {
  private readonly queue = new ByteQueue();
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  private headersLeft = 2;

  /** Adds `chunk`; returns the packets it completed. Throws on a stream that is not Ogg. */
  push(chunk: Uint8Array): OpusPacket[] {
    this.queue.push(chunk);
    const out: OpusPacket[] = [];
    for (;;) {
      const head = this.queue.peek(PAGE_HEADER_BYTES);
      if (!head) break;
      if (head[0] !== 0x4f || head[1] !== 0x67 || head[2] !== 0x67 || head[3] !== 0x53)
        throw new Error('not an Ogg stream');
      const segments = head[26]!;
      const table = this.queue.peek(PAGE_HEADER_BYTES + segments);
      if (!table) break;
      const lacing = table.subarray(PAGE_HEADER_BYTES);
      const bodyBytes = lacing.reduce((n, l) => n + l, 0);
      if (this.queue.length < PAGE_HEADER_BYTES + segments + bodyBytes) break;
      this.queue.skip(PAGE_HEADER_BYTES + segments);
      const body = this.queue.read(bodyBytes) ?? new Uint8Array(0);
      let at = 0;
      for (const l of lacing) {
        this.partial.push(body.subarray(at, at + l));
        this.partialBytes += l;
        at += l;
        if (this.partialBytes > MAX_PACKET_BYTES) throw new Error('Ogg packet too large');
        if (l < 255) this.finishPacket(out);
      }
    }
    return out;
  }

  private finishPacket(out: OpusPacket[]): void {
    const data = new Uint8Array(this.partialBytes);
    let at = 0;
    for (const p of this.partial) {
      data.set(p, at);
      at += p.length;
    }
    this.partial = [];
    this.partialBytes = 0;
    if (this.headersLeft > 0) {
      this.headersLeft--;
      return;
    }
    if (data.length > 0) out.push({ data, samples: opusPacketSamples(data) });
  }
}

/** Frame length of each TOC configuration, in 48 kHz samples (RFC 6716 §3.1). */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config % 4]!; // SILK: 10, 20, 40, 60 ms
  if (config < 16) return [480, 960][config % 2]!; // hybrid: 10, 20 ms
  return [120, 240, 480, 960][config % 4]!; // CELT: 2.5, 5, 10, 20 ms
}

/** How many 48 kHz samples an Opus packet holds, from its TOC byte (and frame count byte). */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0] ?? 0;
  const code = toc & 0x03;
  const frames = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  return frameSamples(toc >> 3) * frames;
}
