// The generated codec (src/protocol/wire-codec.ts + gen/videocall.ts) against the code it
// replaced: protobufjs' static code, generated here by pbjs from the same .proto with the
// options scripts/gen-proto.mjs used to pass. Over random messages of every type the bytes
// must be identical both ways, and over random and damaged bytes both decoders must agree
// (the same fields, or both refuse), so relays and clients of either kind speak one wire format.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import $minimal from 'protobufjs/minimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videocall } from '../../src/protocol/gen/videocall.js';
import type { MessageCodec } from '../../src/protocol/wire-codec.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROTO = join(ROOT, 'proto', 'videocall.proto');
const SCRATCH = join(ROOT, '.tmp', `wire-codec-${process.pid}`);
const RUNS = Number(process.env.WIRE_CODEC_RUNS ?? 200);

interface OldCodec {
  encode(m: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): Record<string, unknown>;
}
let old: Record<string, OldCodec>;
const schema = protobuf.parse(readFileSync(PROTO, 'utf8'), { keepCase: false }).root;
schema.resolveAll();
const types = (schema.lookup('videocall') as protobuf.Namespace).nestedArray.filter(
  (n): n is protobuf.Type => n instanceof protobuf.Type,
);
const codecs = videocall as unknown as Record<string, MessageCodec<object, Record<string, unknown>>>;

beforeAll(async () => {
  mkdirSync(SCRATCH, { recursive: true });
  const out = join(SCRATCH, 'videocall.js');
  const pbjs = join(ROOT, 'node_modules', '.bin', 'pbjs');
  const options = ['-t', 'static-module', '-w', 'es6', '--es6', '--force-number', '--no-verify', '--no-convert'];
  execFileSync(pbjs, [...options, '--no-delimited', '--no-typeurl', '--no-comments', '-o', out, PROTO]);
  // As src/protocol/protobuf-runtime.ts did: 64-bit integers as numbers, not Long.
  ($minimal.util as { Long: unknown }).Long = null;
  $minimal.configure();
  old = ((await import(pathToFileURL(out).href)) as { videocall: Record<string, OldCodec> }).videocall;
}, 60_000);

afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

/** Random values of one field (one element, for a repeated field). */
function valueOf(field: protobuf.Field, depth: number): fc.Arbitrary<unknown> {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageOf(resolved, depth + 1);
  if (resolved instanceof protobuf.Enum)
    return fc.oneof(fc.constantFrom(...Object.values(resolved.values)), fc.integer({ min: -5, max: 300 }));
  switch (field.type) {
    case 'string':
      return fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }));
    case 'bytes':
      return fc.uint8Array({ maxLength: 300 });
    case 'bool':
      return fc.boolean();
    case 'uint32':
    case 'fixed32':
      return fc.oneof(fc.nat(300), fc.nat({ max: 2 ** 32 - 1 }));
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint64':
    case 'fixed64':
      return fc.oneof(fc.nat(300), fc.maxSafeNat());
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return fc.maxSafeInteger();
    case 'float':
    case 'double':
      return fc.double({ noNaN: true });
    default:
      throw new Error(`no arbitrary for ${field.type}`);
  }
}

/** Random messages of `type`: any subset of its fields, at most one member of each oneof. */
function messageOf(type: protobuf.Type, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 3) return fc.constant({});
  const fields = Object.fromEntries(
    type.fieldsArray.map((f) => [
      f.name,
      f.repeated ? fc.array(valueOf(f, depth), { maxLength: 4 }) : valueOf(f, depth),
    ]),
  );
  return fc.record(fields, { requiredKeys: [] }).map((m) => {
    for (const oneof of type.oneofsArray) {
      const set = oneof.fieldsArray.filter((f) => f.name in m);
      for (const f of set.slice(1)) delete m[f.name];
    }
    return m;
  });
}

/** What a decoded message says, field by field, whichever decoder made it (protobufjs keeps defaults on prototypes). */
function normal(type: protobuf.Type, m: Record<string, unknown> | null | undefined): unknown {
  if (m == null) return null;
  const out: Record<string, unknown> = {};
  const one = (f: protobuf.Field, v: unknown): unknown =>
    f.resolvedType instanceof protobuf.Type
      ? normal(f.resolvedType, v as Record<string, unknown>)
      : v instanceof Uint8Array
        ? [...v]
        : v;
  for (const f of type.fieldsArray) {
    const v = m[f.name];
    out[f.name] = f.repeated ? (v as unknown[]).map((x) => one(f, x)) : v == null ? null : one(f, v);
  }
  for (const o of type.oneofsArray) out[`oneof:${o.name}`] = m[o.name] ?? null;
  return out;
}

type Outcome = { ok: true; value: unknown } | { ok: false };
function decodeWith(codec: { decode(b: Uint8Array): Record<string, unknown> }, type: protobuf.Type, bytes: Uint8Array) {
  try {
    return { ok: true, value: normal(type, codec.decode(bytes)) } as Outcome;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return { ok: false } as Outcome;
  }
}

describe('the generated wire codec against protobufjs', () => {
  it('knows every message of the .proto', () => {
    expect(types.length).toBeGreaterThan(20);
    for (const type of types) {
      expect(codecs[type.name], type.name).toBeDefined();
      expect(old[type.name], type.name).toBeDefined();
    }
  });

  for (const type of types) {
    it(`${type.name}: the same bytes, decoded to the same fields`, () => {
      fc.assert(
        fc.property(messageOf(type), (m) => {
          const ours = codecs[type.name]!.encode(m).finish();
          const theirs = old[type.name]!.encode(m).finish();
          expect([...ours]).toEqual([...theirs]);
          expect(decodeWith(codecs[type.name]!, type, ours)).toEqual(decodeWith(old[type.name]!, type, theirs));
        }),
        { numRuns: RUNS },
      );
    }, 60_000);
  }

  it('Envelope: damaged and random bytes are refused or read alike', () => {
    const envelope = types.find((t) => t.name === 'Envelope')!;
    const damaged = fc
      .tuple(messageOf(envelope), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), fc.nat(), fc.boolean())
      .map(([m, flips, cut, truncate]) => {
        const bytes = Uint8Array.from(old.Envelope!.encode(m).finish());
        for (const [at, value] of flips) if (bytes.length) bytes[at % bytes.length] = value;
        return truncate && bytes.length ? bytes.subarray(0, cut % bytes.length) : bytes;
      });
    fc.assert(
      fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 64 })), (bytes) => {
        expect(decodeWith(codecs.Envelope!, envelope, bytes)).toEqual(decodeWith(old.Envelope!, envelope, bytes));
      }),
      { numRuns: RUNS * 5 },
    );
  }, 60_000);

  it('reads payloads as views into the input, as the relay expects (no copy per frame)', () => {
    const bytes = videocall.Envelope.encode({ media: { kind: 2, payload: new Uint8Array(1000).fill(7) } }).finish();
    const decoded = videocall.Envelope.decode(bytes);
    expect(decoded.body).toBe('media');
    expect(decoded.media!.payload!.buffer).toBe(bytes.buffer);
    expect([...decoded.media!.payload!]).toEqual(new Array(1000).fill(7));
  });
});
