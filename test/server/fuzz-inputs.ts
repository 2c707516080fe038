/**
 * What the fuzz tests generate: arbitrary bytes, valid envelopes of every body
 * with arbitrary field values, and valid envelopes mutated (a flipped byte, a
 * cut, bytes spliced in); and the figures they print. Shared by the WebSocket
 * (test/server/fuzz.test.ts) and WebTransport (test/webtransport/relay-fuzz.test.ts) passes.
 */
import fc from 'fast-check';
import { encodeEnvelope, PROTOCOL_VERSION, type EnvelopeInit } from '../../src/protocol/index.js';

/** Inputs per run; `FUZZ_RUNS` raises it for a long run. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
export const SEED = Number(process.env.FUZZ_SEED ?? 20261202);

const text = fc.string({ maxLength: 80 });
const id = fc.oneof(fc.constantFrom('', 'x', 'fuzz-target'), text);
const kind = fc.integer({ min: -1, max: 6 });
const bytes = fc.uint8Array({ maxLength: 300 });

/** Envelopes of every body a client may (or may not) send, with arbitrary field values. */
export const envelope: fc.Arbitrary<EnvelopeInit> = fc.oneof(
  fc.record({
    join: fc.record({
      protocolVersion: fc.oneof(fc.constant(PROTOCOL_VERSION), fc.nat()),
      room: fc.oneof(fc.constant('fuzz'), text),
      name: text,
      token: text,
      resumeToken: text,
      resumeKey: bytes,
      resumeProof: bytes,
      decoders: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 40 }),
      transportUpgrade: fc.boolean(),
    }),
  }),
  fc.record({
    media: fc.record({
      kind,
      sequence: fc.nat(),
      keyframe: fc.boolean(),
      layer: fc.nat({ max: 9 }),
      payload: fc.uint8Array({ maxLength: 2000 }),
    }),
  }),
  fc.record({ keyframeRequest: fc.record({ target: id, kind, layer: fc.nat({ max: 9 }) }) }),
  fc.record({ keyExchange: fc.record({ target: id, step: fc.nat({ max: 6 }), data: bytes, mac: bytes }) }),
  fc.record({ mediaState: fc.record({ mic: fc.boolean(), camera: fc.boolean(), micLocked: fc.boolean() }) }),
  fc.record({ ping: fc.record({ time: fc.nat() }) }),
  fc.record({ tokenRefresh: fc.record({ token: text }) }),
  fc.record({ admission: fc.record({ id, admit: fc.boolean() }) }),
  fc.record({
    moderation: fc.record({ action: fc.integer({ min: 0, max: 10 }), target: id, lock: fc.boolean() }),
  }),
  fc.record({
    subscription: fc.record({
      tracks: fc.array(fc.record({ publisher: id, kind, layer: fc.nat({ max: 5 }) }), { maxLength: 20 }),
    }),
  }),
  fc.record({
    welcome: fc.record({ sessionId: id, roster: fc.array(fc.record({ id, name: text }), { maxLength: 3 }) }),
  }),
  fc.record({ peerLeft: fc.record({ id, reason: text }) }),
  fc.record({ leave: fc.constant({}) }),
  fc.record({ knock: fc.record({ waiting: fc.array(fc.record({ id, name: text }), { maxLength: 3 }) }) }),
);

/** A valid envelope with one byte flipped, a cut, or bytes spliced in. */
export const mutated: fc.Arbitrary<Uint8Array> = fc
  .record({
    base: envelope.map((e) => encodeEnvelope(e)),
    at: fc.nat(),
    op: fc.constantFrom('flip', 'truncate', 'insert'),
    extra: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  })
  .map(({ base, at, op, extra }) => {
    if (base.length === 0) return extra;
    const i = at % base.length;
    if (op === 'truncate') return base.subarray(0, i);
    if (op === 'flip') {
      const out = Uint8Array.from(base);
      out[i] = out[i]! ^ (extra[0]! | 1);
      return out;
    }
    return Uint8Array.from([...base.subarray(0, i), ...extra, ...base.subarray(i)]);
  });

export const input: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }),
  mutated,
  envelope.map((e) => encodeEnvelope(e)),
);

/** `count` values of `arb` from `seed`, generated one at a time. */
export function* lazySample<T>(arb: fc.Arbitrary<T>, count: number, seed: number): Generator<T> {
  const chunk = 10_000;
  for (let done = 0; done < count; done += chunk) {
    yield* fc.sample(arb, { numRuns: Math.min(chunk, count - done), seed: seed + done });
  }
}

/** This process's RSS and heap (after a GC when `--expose-gc` is on), for the printed figures. */
export function memoryMiB(): string {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return `RSS ${(m.rss / 2 ** 20).toFixed(0)} MiB, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB`;
}
