import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { E2eeError } from '../../../src/e2ee/errors.js';
import { decodeKeyExchange, encodeKeyExchange, type KeyExchangeMessage } from '../../../src/e2ee/key-messages.js';
import { hex } from './helpers.js';

// The messages proposed for proto/videocall.proto, as written in src/e2ee/key-messages.ts.
const PROTO = `
syntax = "proto3";
package videocall;
message KeyExchange {
  string target = 1;
  KeyExchangeStep step = 2;
  bytes data = 3;
  bytes mac = 4;
  uint64 kid = 5;
}
enum KeyExchangeStep {
  KEY_EXCHANGE_STEP_UNSPECIFIED = 0;
  KEY_COMMIT = 1;
  KEY_REVEAL = 2;
  KEY_SHARE = 3;
  KEY_REQUEST = 4;
}`;
const KeyExchange = protobuf.parse(PROTO).root.lookupType('videocall.KeyExchange');

const bytes32 = new Uint8Array(32).fill(7);
const samples: KeyExchangeMessage[] = [
  { target: 'peer-b', step: 'commit', data: bytes32, mac: new Uint8Array(32).fill(9), kid: 0n },
  { target: 'peer-b', step: 'reveal', data: bytes32, mac: new Uint8Array(0), kid: 0n },
  { target: 'pëer', step: 'share', data: new Uint8Array(44).fill(1), mac: new Uint8Array(0), kid: 0x1234n },
  { target: 'p', step: 'share', data: new Uint8Array(60).fill(2), mac: new Uint8Array(0), kid: (1n << 64n) - 1n },
  { target: 'p', step: 'request', data: new Uint8Array(0), mac: new Uint8Array(0), kid: 258n },
];

describe('key-exchange message codec', () => {
  it('round-trips every step', () => {
    for (const message of samples) expect(decodeKeyExchange(encodeKeyExchange(message))).toEqual(message);
  });

  it('writes the protobuf encoding of the proposed KeyExchange message, both ways', () => {
    const steps = { commit: 1, reveal: 2, share: 3, request: 4 };
    for (const message of samples) {
      const decoded = KeyExchange.toObject(KeyExchange.decode(encodeKeyExchange(message)), {
        longs: String,
        bytes: Array,
      });
      expect(decoded.target).toBe(message.target);
      expect(decoded.step).toBe(steps[message.step]);
      expect(BigInt(decoded.kid ?? 0)).toBe(message.kid);
      const generated = KeyExchange.encode(
        KeyExchange.fromObject({ ...message, step: steps[message.step], kid: message.kid.toString() }),
      ).finish();
      expect(decodeKeyExchange(generated)).toEqual(message);
    }
  });

  it('skips fields it does not know, as protobuf does', () => {
    const known = encodeKeyExchange(samples[1]!);
    // field 9 varint 5, field 10 length-delimited "hi", field 11 fixed32, field 12 fixed64
    const extra = hex('4805' + '52026869' + '5d01020304' + '610102030405060708');
    const both = new Uint8Array([...extra, ...known]);
    expect(decodeKeyExchange(both)).toEqual(samples[1]);
  });

  it('refuses wrong sizes for each step', () => {
    const bad: KeyExchangeMessage[] = [
      { ...samples[0]!, data: new Uint8Array(31) },
      { ...samples[1]!, data: new Uint8Array(33) },
      { ...samples[0]!, mac: new Uint8Array(16) },
      { ...samples[2]!, data: new Uint8Array(45) },
      { ...samples[2]!, mac: bytes32 },
      { ...samples[4]!, data: new Uint8Array(1) },
      { ...samples[0]!, target: '' },
      { ...samples[0]!, target: 'x'.repeat(256) },
    ];
    for (const message of bad) {
      expect(() => encodeKeyExchange(message)).toThrow(expect.objectContaining({ code: 'e2ee-malformed' }));
    }
  });

  it('refuses malformed bytes with e2ee-malformed', () => {
    const good = encodeKeyExchange(samples[0]!);
    const cases = [
      '', // no step
      '0a', // truncated length
      '0a05616263', // target runs past the end
      '1005', // unknown step
      '0a017010', // truncated varint... then step tag without value
      '08011001', // field 1 with wire type 0
      '0a0170' + '1001' + '1a4100', // data longer than 64 bytes
      '0a0170' + '1001' + '2804' + 'ffffffffffffffffffff01', // a varint over 64 bits
      '0a02c328' + '1002' + '1a20' + '00'.repeat(32), // target not UTF-8
      '0a0170' + '1001' + '0b', // wire type 3 (group)
      '0a0170' + '1001' + '0001', // field number 0
    ];
    for (const c of cases) {
      expect(() => decodeKeyExchange(hex(c)), c).toThrow(expect.objectContaining({ code: 'e2ee-malformed' }));
    }
    // A cut inside a field is refused; a cut between fields is a shorter valid message (here: no MAC).
    for (let length = 0; length < good.length; length++) {
      const prefix = good.subarray(0, length);
      try {
        expect(encodeKeyExchange(decodeKeyExchange(prefix))).toEqual(prefix);
      } catch (error) {
        expect(error, `cut at ${length}`).toBeInstanceOf(E2eeError);
      }
    }
    expect(() => decodeKeyExchange(good.subarray(0, good.length - 1))).toThrow(E2eeError);
  });

  it('never throws anything but an E2eeError on random bytes', () => {
    for (let i = 0; i < 3000; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(i % 90));
      try {
        decodeKeyExchange(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(E2eeError);
      }
    }
  });
});
