/**
 * Bytes arriving in arbitrary chunks from a pipe, read back in the sizes a
 * container format asks for. Chunks are kept as they came and joined only
 * when a read spans two of them.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private offset = 0;
  /** Bytes queued. */
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The next `n` bytes without consuming them; null when fewer are queued. */
  peek(n: number): Uint8Array | null {
    if (n > this.length) return null;
    const first = this.chunks[0];
    if (first && first.length - this.offset >= n) return first.subarray(this.offset, this.offset + n);
    const out = new Uint8Array(n);
    let filled = 0;
    let offset = this.offset;
    for (const chunk of this.chunks) {
      const take = Math.min(n - filled, chunk.length - offset);
      out.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset = 0;
      if (filled === n) break;
    }
    return out;
  }

  /** Consumes and returns the next `n` bytes (a copy when they span chunks); null when fewer are queued. */
  read(n: number): Uint8Array | null {
    const out = this.peek(n);
    if (out) this.skip(n);
    return out;
  }

  /** Drops the next `n` bytes (at most what is queued). */
  skip(n: number): void {
    let left = Math.min(n, this.length);
    this.length -= left;
    while (left > 0) {
      const first = this.chunks[0]!;
      const available = first.length - this.offset;
      if (left < available) {
        this.offset += left;
        return;
      }
      left -= available;
      this.chunks.shift();
      this.offset = 0;
    }
  }
}
