/**
 * Huffman encoding (RFC 7541 Appendix B) for tests: the relay only decodes
 * Huffman-coded QPACK literals and sends its own raw, so the encoder lives here.
 */
import { HUFFMAN_CODES } from '../../server/webtransport/huffman.js';

/** Huffman-encodes bytes, for tests to feed the decoder. */
export function huffmanEncode(input: Uint8Array): Uint8Array {
  let totalBits = 0;
  for (const byte of input) totalBits += HUFFMAN_CODES[byte]![1];
  const out = new Uint8Array(Math.ceil(totalBits / 8));
  let offset = 0;
  let acc = 0;
  let accBits = 0;
  for (const byte of input) {
    const [code, bits] = HUFFMAN_CODES[byte]!;
    // Feed the code most significant bit first, a byte at a time, to stay within 32-bit ints.
    for (let remaining = bits; remaining > 0;) {
      const take = Math.min(remaining, 8 - accBits);
      const chunk = Math.floor(code / 2 ** (remaining - take)) & ((1 << take) - 1);
      acc = (acc << take) | chunk;
      accBits += take;
      remaining -= take;
      if (accBits === 8) {
        out[offset++] = acc;
        acc = 0;
        accBits = 0;
      }
    }
  }
  if (accBits > 0) out[offset] = (acc << (8 - accBits)) | ((1 << (8 - accBits)) - 1);
  return out;
}
