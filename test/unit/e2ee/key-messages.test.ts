import { describe, expect, it } from 'vitest';
import { validateKeyExchange, type KeyExchangeMessage } from '../../../src/e2ee/key-messages.js';

const bytes32 = new Uint8Array(32).fill(7);
const samples: KeyExchangeMessage[] = [
  { target: 'peer-b', step: 'commit', data: bytes32, mac: new Uint8Array(32).fill(9), kid: 0n },
  { target: 'peer-b', step: 'reveal', data: bytes32, mac: new Uint8Array(0), kid: 0n },
  { target: 'pëer', step: 'share', data: new Uint8Array(44).fill(1), mac: new Uint8Array(0), kid: 0x1234n },
  { target: 'p', step: 'share', data: new Uint8Array(60).fill(2), mac: new Uint8Array(0), kid: (1n << 64n) - 1n },
  { target: 'p', step: 'request', data: new Uint8Array(0), mac: new Uint8Array(0), kid: 258n },
];

describe('key-exchange message validation', () => {
  it('accepts every step at the sizes it allows', () => {
    for (const message of samples) expect(() => validateKeyExchange(message)).not.toThrow();
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
      expect(() => validateKeyExchange(message)).toThrow(expect.objectContaining({ code: 'e2ee-malformed' }));
    }
  });

  it('refuses an unknown step and a KID outside 64 bits', () => {
    const bad: KeyExchangeMessage[] = [
      { ...samples[1]!, step: 'hello' as KeyExchangeMessage['step'] },
      { ...samples[4]!, kid: 1n << 64n },
      { ...samples[4]!, kid: -1n },
    ];
    for (const message of bad) {
      expect(() => validateKeyExchange(message)).toThrow(expect.objectContaining({ code: 'e2ee-malformed' }));
    }
  });
});
