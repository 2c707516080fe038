/**
 * The protobuf wire codec behind `./gen/videocall.ts`: one table-driven encoder
 * and decoder for every message, instead of protobufjs' runtime plus code
 * generated per field (together about 15 kB min+gzip of the browser bundle;
 * this is about 2 kB). `scripts/gen-proto.mjs` writes the tables from
 * proto/videocall.proto. Bytes and decoded objects are the ones protobufjs made
 * (test/protocol/wire-codec.test.ts compares the two over random messages):
 * fields in number order, proto3 defaults left out, oneof members and
 * `optional` fields written whenever set, repeated numbers packed, 64-bit
 * integers as plain numbers, strings checked as UTF-8, defaults and oneof names
 * inherited. Unknown fields are skipped, never kept: nothing a client wrote
 * beyond the schema is forwarded.
 */

/** Wire kinds of a field, as the generated tables spell them. */
export const T = {
  string: 0,
  bytes: 1,
  bool: 2,
  int32: 3,
  uint32: 4,
  sint32: 5,
  int64: 6,
  uint64: 7,
  sint64: 8,
  fixed32: 9,
  sfixed32: 10,
  fixed64: 11,
  sfixed64: 12,
  float: 13,
  double: 14,
  message: 15,
} as const;

/** Field flags. */
export const F = { repeated: 1, packed: 2, /** oneof member or proto3 `optional`: written whenever set */ presence: 4 };

/**
 * One field: number, name (camelCase), kind, flags, then for a message field the
 * message (a thunk: tables may refer to one declared later), and for a oneof
 * member the oneof's name.
 */
export type FieldSpec = readonly [
  no: number,
  name: string,
  kind: number,
  flags?: number,
  message?: (() => MessageCodec<object, object>) | 0,
  oneof?: string,
];

/** What `encode` returns: protobufjs' `Writer` spelling, `.finish()` gives the bytes. */
export interface Encoded {
  finish(): Uint8Array;
}

/** A message's encoder and decoder, as the generated code exports it (`videocall.Envelope`…). */
export interface MessageCodec<Init, Decoded> {
  encode(message: Init): Encoded;
  /** Throws (a `RangeError` or an `Error`) on bytes that are not this message. */
  decode(bytes: Uint8Array): Decoded;
}

interface Codec extends MessageCodec<object, object> {
  fields: readonly FieldSpec[];
  byNo: Map<number, FieldSpec>;
  /** What decoded messages inherit: the defaults, and each oneof's name as a getter. */
  proto: object;
}

const MAX_DEPTH = 100; // protoc's default recursion limit, as protobufjs keeps it
const TWO32 = 4294967296;
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

type Message = Record<string, unknown>;

const outOfRange = (): RangeError => new RangeError('index out of range');

/** A message's codec from its field table. */
export function message<Init, Decoded>(table: readonly FieldSpec[]): MessageCodec<Init, Decoded> {
  const codec: Codec = {
    fields: [...table].sort((a, b) => a[0] - b[0]),
    byNo: new Map(table.map((f) => [f[0], f])),
    proto: prototypeOf(table),
    encode: (m) => {
      const w = new Writer();
      writeMessage(w, codec, m as Message);
      return { finish: () => w.finish() };
    },
    decode: (bytes) => {
      const r = new Reader(bytes);
      return readMessage(r, codec, r.len, 0);
    },
  };
  return codec as unknown as MessageCodec<Init, Decoded>;
}

// ---- encoding ----------------------------------------------------------------

class Writer {
  buf = new Uint8Array(64);
  pos = 0;

  need(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  varint(lo: number, hi = 0): void {
    this.need(10);
    const b = this.buf;
    while (hi) {
      b[this.pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      b[this.pos++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    b[this.pos++] = lo;
  }

  /** A 64-bit integer given as a number (two's complement when negative), zigzagged for sint64. */
  long(value: number, zigzag = false): void {
    let [lo, hi] = bits(value);
    if (zigzag) {
      const mask = hi >> 31;
      hi = (((hi << 1) | (lo >>> 31)) ^ mask) >>> 0;
      lo = ((lo << 1) ^ mask) >>> 0;
    }
    this.varint(lo, hi);
  }

  fixed32(value: number): void {
    this.need(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  raw(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.need(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** UTF-8 as protobufjs writes it (a lone surrogate as its own three bytes). */
  string(s: string): void {
    this.need(5 + s.length * 3);
    const start = this.pos;
    this.pos += 1; // room for a one-byte length; moved below when longer
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 128) b[p++] = c;
      else if (c < 2048) {
        b[p++] = (c >> 6) | 192;
        b[p++] = (c & 63) | 128;
      } else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c & 0x03ff) << 10) + (s.charCodeAt(++i) & 0x03ff);
        b[p++] = (c >> 18) | 240;
        b[p++] = ((c >> 12) & 63) | 128;
        b[p++] = ((c >> 6) & 63) | 128;
        b[p++] = (c & 63) | 128;
      } else {
        b[p++] = (c >> 12) | 224;
        b[p++] = ((c >> 6) & 63) | 128;
        b[p++] = (c & 63) | 128;
      }
    }
    this.delimit(start, p);
  }

  /** Writes the length of the bytes from `start + 1` to `end` at `start`, moving them when it takes more than a byte. */
  delimit(start: number, end: number): void {
    const len = end - start - 1;
    let size = 1;
    while (len >>> (7 * size) && size < 5) size++;
    if (size > 1) {
      this.pos = end;
      this.need(size - 1);
      this.buf.copyWithin(start + size, start + 1, end);
    }
    // The room is there: no `need` (it would copy only up to `pos`).
    let p = start;
    let v = len;
    while (v > 127) {
      this.buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[p] = v;
    this.pos = start + size + len;
  }

  finish(): Uint8Array {
    return this.pos === this.buf.length ? this.buf : this.buf.slice(0, this.pos);
  }
}

/** A number's 64 bits as [lo, hi], two's complement when negative (protobufjs' `LongBits.fromNumber`). */
function bits(value: number): [number, number] {
  const neg = value < 0;
  if (neg) value = -value;
  let lo = value >>> 0;
  let hi = ((value - lo) / TWO32) >>> 0;
  if (neg) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
    if (++lo > 0xffffffff) {
      lo = 0;
      if (++hi > 0xffffffff) hi = 0;
    }
  }
  return [lo, hi];
}

/** The wire type of each kind (index: `T`). */
const WIRE = [2, 2, 0, 0, 0, 0, 0, 0, 0, 5, 5, 1, 1, 5, 1, 2];

function isDefault(kind: number, v: unknown): boolean {
  if (kind <= T.bytes) return (v as { length: number }).length === 0;
  if (kind === T.bool) return v === false;
  return v === 0;
}

function writeValue(w: Writer, kind: number, v: unknown, sub: Codec | undefined, depth: number): void {
  switch (kind) {
    case T.string:
      return w.string(v as string);
    case T.bytes:
      return w.raw(v as Uint8Array);
    case T.bool:
      return w.varint(v ? 1 : 0);
    case T.int32:
      return (v as number) < 0 ? w.long(v as number) : w.varint((v as number) >>> 0);
    case T.uint32:
      return w.varint((v as number) >>> 0);
    case T.sint32:
      return w.varint((((v as number) << 1) ^ ((v as number) >> 31)) >>> 0);
    case T.int64:
    case T.uint64:
      return w.long(v as number);
    case T.sint64:
      return w.long(v as number, true);
    case T.fixed32:
    case T.sfixed32:
      return w.fixed32(v as number);
    case T.fixed64:
    case T.sfixed64: {
      const [lo, hi] = bits(v as number);
      w.fixed32(lo);
      return w.fixed32(hi);
    }
    case T.float:
    case T.double: {
      const n = kind === T.float ? 4 : 8;
      w.need(n);
      const view = new DataView(w.buf.buffer, w.buf.byteOffset);
      if (n === 4) view.setFloat32(w.pos, v as number, true);
      else view.setFloat64(w.pos, v as number, true);
      w.pos += n;
      return;
    }
    default: {
      if (depth > MAX_DEPTH) throw new Error('max depth exceeded');
      w.need(1);
      const start = w.pos++;
      writeMessage(w, sub!, v as Message, depth + 1);
      return w.delimit(start, w.pos);
    }
  }
}

function writeMessage(w: Writer, codec: Codec, m: Message, depth = 0): void {
  for (const [no, name, kind, flags = 0, sub] of codec.fields) {
    const v = m[name];
    if (v == null) continue;
    const subCodec = sub ? (sub() as Codec) : undefined;
    if (flags & F.repeated) {
      const list = v as unknown[];
      if (!list.length) continue;
      if (flags & F.packed) {
        w.varint(((no << 3) | 2) >>> 0);
        w.need(1);
        const start = w.pos++;
        for (const item of list) writeValue(w, kind, item, undefined, depth);
        w.delimit(start, w.pos);
      } else
        for (const item of list) {
          w.varint(((no << 3) | WIRE[kind]!) >>> 0);
          writeValue(w, kind, item, subCodec, depth);
        }
      continue;
    }
    // Like protobufjs: inherited values are not the message's own, and proto3 leaves defaults out.
    if (!Object.prototype.hasOwnProperty.call(m, name)) continue;
    if (!(flags & F.presence) && kind !== T.message && isDefault(kind, v)) continue;
    w.varint(((no << 3) | WIRE[kind]!) >>> 0);
    writeValue(w, kind, v, subCodec, depth);
  }
}

// ---- decoding ----------------------------------------------------------------

class Reader {
  pos = 0;
  len: number;
  constructor(readonly buf: Uint8Array) {
    this.len = buf.length;
  }

  /**
   * A varint's low 32 bits (protobufjs reads at most 4 bytes in the last 4 of the
   * input); a `tag` ends at its fifth byte, which holds no more than 32 bits.
   */
  uint32(tag = false): number {
    const b = this.buf;
    let value = 0;
    const near = this.len - this.pos < 5;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.len || (near && i === 4)) throw outOfRange();
      const byte = b[this.pos++]!;
      value = (value | ((byte & (i === 4 ? 15 : 127)) << (i * 7))) >>> 0;
      if (byte < 128 && !(tag && i === 4 && byte & 112)) return value;
      if (tag && i === 4) throw new Error('invalid tag encoding');
    }
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.len) throw outOfRange();
      if (b[this.pos++]! < 128) return value;
    }
    throw new Error('invalid varint encoding');
  }

  /** A length: at most 2^31 − 1. */
  size(): number {
    if (this.len - this.pos < 5) return this.uint32();
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const byte = this.buf[this.pos++]!;
      value = (value | ((byte & 127) << (i * 7))) >>> 0;
      if (byte < 128) return value;
    }
    const last = this.buf[this.pos++]!;
    if (last > 7) throw new Error('invalid length encoding');
    return (value | (last << 28)) >>> 0;
  }

  bool(): boolean {
    let value = false;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.len) throw outOfRange();
      const byte = this.buf[this.pos++]!;
      if (byte & 127) value = true;
      if (byte < 128) return value;
    }
    throw new Error('invalid varint encoding');
  }

  /** A varint's 64 bits as [lo, hi]. */
  long(): [number, number] {
    const b = this.buf;
    let lo = 0;
    let hi = 0;
    const fast = this.len - this.pos > 4;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.len) throw outOfRange();
      lo = (lo | ((b[this.pos]! & 127) << (i * 7))) >>> 0;
      if (b[this.pos++]! < 128) return [lo, hi];
    }
    if (!fast) throw outOfRange();
    lo = (lo | ((b[this.pos]! & 127) << 28)) >>> 0;
    hi = (hi | ((b[this.pos]! & 127) >> 4)) >>> 0;
    if (b[this.pos++]! < 128) return [lo, hi];
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.len) throw outOfRange();
      hi = (hi | ((b[this.pos]! & 127) << (i * 7 + 3))) >>> 0;
      if (b[this.pos++]! < 128) return [lo, hi];
    }
    throw new Error('invalid varint encoding');
  }

  take(n: number): number {
    if (this.pos + n > this.len) throw outOfRange();
    const at = this.pos;
    this.pos += n;
    return at;
  }

  bytes(): Uint8Array {
    const n = this.size();
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  skip(wire: number, depth: number, no: number): void {
    if (depth > MAX_DEPTH) throw new Error('max depth exceeded');
    if (no === 0) throw new Error('illegal tag: field number 0');
    switch (wire) {
      case 0:
        do if (this.pos >= this.len) throw outOfRange();
        while (this.buf[this.pos++]! & 128);
        return;
      case 1:
        return void this.take(8);
      case 2:
        return void this.take(this.size());
      case 3:
        for (;;) {
          const tag = this.uint32(true);
          if (!(tag >>> 3)) throw new Error('illegal tag: field number 0');
          if ((tag & 7) === 4) {
            if (tag >>> 3 !== no) throw new Error('invalid end group tag');
            return;
          }
          this.skip(tag & 7, depth + 1, tag >>> 3);
        }
      case 5:
        return void this.take(4);
      default:
        throw new Error(`invalid wire type ${wire} at offset ${this.pos}`);
    }
  }
}

const toNumber = ([lo, hi]: [number, number], signed: boolean): number => {
  if (signed && hi >>> 31) {
    lo = (~lo + 1) >>> 0;
    hi = ~hi >>> 0;
    if (!lo) hi = (hi + 1) >>> 0;
    return -(lo + hi * TWO32);
  }
  return lo + hi * TWO32;
};

function readValue(r: Reader, kind: number, sub: Codec | undefined, depth: number, into?: Message): unknown {
  switch (kind) {
    case T.string: {
      const n = r.size();
      const at = r.take(n);
      return n ? textDecoder.decode(r.buf.subarray(at, at + n)) : '';
    }
    case T.bytes:
      return r.bytes();
    case T.bool:
      return r.bool();
    case T.int32:
      return r.uint32() | 0;
    case T.uint32:
      return r.uint32();
    case T.sint32: {
      const v = r.uint32();
      return ((v >>> 1) ^ -(v & 1)) | 0;
    }
    case T.int64:
      return toNumber(r.long(), true);
    case T.uint64:
      return toNumber(r.long(), false);
    case T.sint64: {
      const [lo, hi] = r.long();
      const mask = -(lo & 1);
      return toNumber([(((lo >>> 1) | (hi << 31)) ^ mask) >>> 0, ((hi >>> 1) ^ mask) >>> 0], true);
    }
    case T.fixed32:
    case T.sfixed32:
    case T.float: {
      const view = new DataView(r.buf.buffer, r.buf.byteOffset + r.take(4));
      return kind === T.float
        ? view.getFloat32(0, true)
        : kind === T.fixed32
          ? view.getUint32(0, true)
          : view.getInt32(0, true);
    }
    case T.fixed64:
    case T.sfixed64:
    case T.double: {
      const view = new DataView(r.buf.buffer, r.buf.byteOffset + r.take(8));
      if (kind === T.double) return view.getFloat64(0, true);
      return toNumber([view.getUint32(0, true), view.getUint32(4, true)], kind === T.sfixed64);
    }
    default: {
      const n = r.size();
      const end = r.pos + n;
      if (end > r.len) throw outOfRange();
      const len = r.len;
      r.len = end;
      const m = readMessage(r, sub!, end, depth + 1, into);
      r.len = len;
      return m;
    }
  }
}

/**
 * What decoded messages of `table` inherit, as protobufjs' generated classes had it
 * on their prototypes: each field's default, so only what the bytes carried is the
 * message's own (and shows in `JSON.stringify` or a spread), and each oneof's name as
 * a getter (which member is set) and a setter (clears the others).
 */
function prototypeOf(table: readonly FieldSpec[]): object {
  const proto: Message = {};
  const oneofs = new Map<string, string[]>();
  for (const [, name, kind, flags = 0, , oneof] of table) {
    if (oneof) oneofs.set(oneof, [...(oneofs.get(oneof) ?? []), name]);
    if (flags & F.repeated) continue;
    proto[name] =
      flags & F.presence || kind === T.message
        ? null
        : kind === T.string
          ? ''
          : kind === T.bytes
            ? new Uint8Array(0)
            : kind === T.bool
              ? false
              : 0;
  }
  for (const [oneof, members] of oneofs)
    Object.defineProperty(proto, oneof, {
      get(this: Message) {
        return members.find((m) => Object.prototype.hasOwnProperty.call(this, m) && this[m] != null);
      },
      set(this: Message, name: string) {
        for (const m of members) if (m !== name) delete this[m];
      },
    });
  return proto;
}

/** A decoded message before any field: repeated fields own empty arrays, the rest inherited. */
function fresh(codec: Codec): Message {
  const m = Object.create(codec.proto) as Message;
  for (const [, name, , flags = 0] of codec.fields) if (flags & F.repeated) m[name] = [];
  return m;
}

function readMessage(r: Reader, codec: Codec, end: number, depth: number, into?: Message): object {
  if (depth > MAX_DEPTH) throw new Error('max depth exceeded');
  const m = into ?? fresh(codec);
  while (r.pos < end) {
    const tag = r.uint32(true);
    const wire = tag & 7;
    const no = tag >>> 3;
    const field = codec.byNo.get(no);
    if (field) {
      const [, name, kind, flags = 0, sub, oneof] = field;
      const subCodec = sub ? (sub() as Codec) : undefined;
      const expected = WIRE[kind]!;
      if (flags & F.repeated) {
        const list = m[name] as unknown[];
        if (wire === 2 && expected !== 2) {
          // packed, whether or not the schema asks for it
          const n = r.size();
          const stop = r.pos + n;
          if (stop > r.len) throw outOfRange();
          const len = r.len;
          r.len = stop;
          while (r.pos < stop) list.push(readValue(r, kind, undefined, depth));
          r.len = len;
          if (r.pos !== stop) throw outOfRange();
          continue;
        }
        if (wire === expected) {
          list.push(readValue(r, kind, subCodec, depth));
          continue;
        }
      } else if (wire === expected) {
        const v = readValue(
          r,
          kind,
          subCodec,
          depth,
          kind === T.message ? ((m[name] as Message | null) ?? undefined) : undefined,
        );
        // Like protobufjs: a default value read is no value (the prototype's stays).
        if (!(flags & F.presence) && kind !== T.message && isDefault(kind, v)) delete m[name];
        else m[name] = v;
        if (oneof) m[oneof] = name; // the setter clears the other members
        continue;
      }
    }
    r.skip(wire, depth, no);
  }
  if (r.pos !== end) throw outOfRange();
  return m;
}
