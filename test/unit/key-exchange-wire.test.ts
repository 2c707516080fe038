import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type { KeyExchangeMessage } from '../../src/e2ee/key-messages.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/protocol/envelope.js';
import { keyExchangeFromWire, keyExchangeToWire, type KeyExchangeInit } from '../../src/call/key-exchange-wire.js';

const bytes32 = new Uint8Array(32).fill(7);
const samples: KeyExchangeMessage[] = [
  { target: 'peer-b', step: 'commit', data: bytes32, mac: new Uint8Array(32).fill(9), kid: 0n },
  { target: 'peer-b', step: 'reveal', data: bytes32, mac: new Uint8Array(0), kid: 0n },
  { target: 'pëer', step: 'share', data: new Uint8Array(44).fill(1), mac: new Uint8Array(0), kid: 0x1234n },
  // Key ids travel as numbers (src/protocol/protobuf-runtime.ts): the largest exact one.
  { target: 'p', step: 'share', data: new Uint8Array(60).fill(2), mac: new Uint8Array(0), kid: 2n ** 53n - 1n },
  { target: 'p', step: 'request', data: new Uint8Array(0), mac: new Uint8Array(0), kid: 258n },
  { target: 'p', step: 'restart', data: new Uint8Array(0), mac: new Uint8Array(0), kid: 0n },
];

/** `message` with plain byte arrays (in Node, decoded bytes are Buffers). */
function plain(message: KeyExchangeMessage | null): KeyExchangeMessage | null {
  return message && { ...message, data: Uint8Array.from(message.data), mac: Uint8Array.from(message.mac) };
}

/** The schema read straight from the .proto file, not through the generated code. */
const schema = protobuf.parse(readFileSync(new URL('../../proto/videocall.proto', import.meta.url), 'utf8')).root;

describe('KeyExchange at the wire boundary', () => {
  it('round-trips every step through an encoded envelope', () => {
    for (const message of samples) {
      const bytes = encodeEnvelope({ keyExchange: keyExchangeToWire(message) });
      expect(plain(keyExchangeFromWire(decodeEnvelope(bytes).keyExchange!))).toEqual(message);
    }
  });

  it('writes each step as the KeyExchangeStep value the .proto names for it', () => {
    const steps = schema.lookupEnum('videocall.KeyExchangeStep').values;
    const names = {
      commit: 'KEY_COMMIT',
      reveal: 'KEY_REVEAL',
      share: 'KEY_SHARE',
      request: 'KEY_REQUEST',
      restart: 'KEY_RESTART',
    };
    const KeyExchange = schema.lookupType('videocall.KeyExchange');
    for (const message of samples) {
      expect(keyExchangeToWire(message).step).toBe(steps[names[message.step]]);
      const bytes = KeyExchange.encode(KeyExchange.fromObject(keyExchangeToWire(message))).finish();
      const decoded = KeyExchange.toObject(KeyExchange.decode(bytes), { longs: String });
      expect(decoded.target).toBe(message.target);
      expect(BigInt(decoded.kid ?? 0)).toBe(message.kid);
    }
  });

  it('takes absent fields at their protobuf defaults', () => {
    expect(keyExchangeFromWire({ step: 4 })).toEqual({
      target: '',
      step: 'request',
      data: new Uint8Array(0),
      mac: new Uint8Array(0),
      kid: 0n,
    });
  });

  it('gives null for an unset or unknown step', () => {
    expect(keyExchangeFromWire({ target: 'p' })).toBeNull();
    expect(keyExchangeFromWire({ target: 'p', step: 0 })).toBeNull();
    // A step a newer peer might send: the generated code decodes it as a plain number.
    expect(keyExchangeFromWire({ target: 'p', step: 6 as KeyExchangeInit['step'] })).toBeNull();
  });
});
