/**
 * A streaming Matroska (WebM) writer: EBML header, a Segment of unknown size,
 * one track, then Clusters of SimpleBlocks, each frame with its own timestamp
 * and keyframe flag. What it writes is meant for a pipe into ffmpeg, which
 * remuxes it (`-c copy`) into a finished file with Cues, Duration and sizes:
 * those need seeking back, which ffmpeg's muxer does well and a pipe cannot.
 * Matroska rather than IVF + Ogg: one format for VP8, VP9, AV1 and Opus, no
 * per-codec container (Ogg needs Opus packet durations for its granules).
 */

/** One track of a stream. */
export type MatroskaTrack =
  | { type: 'video'; codecId: 'V_VP8' | 'V_VP9' | 'V_AV1'; width: number; height: number }
  | { type: 'audio'; codecId: 'A_OPUS'; channels: number; sampleRate: number };

const ID = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Segment: 0x18538067,
  Info: 0x1549a966,
  TimecodeScale: 0x2ad7b1,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  CodecDelay: 0x56aa,
  SeekPreRoll: 0x56bb,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,
  Cluster: 0x1f43b675,
  Timecode: 0xe7,
  SimpleBlock: 0xa3,
} as const;

/** Blocks hold a signed 16-bit offset (ms) from their cluster's time. */
const MAX_CLUSTER_SPAN_MS = 30_000;
/** A cluster is written out at least this often, so a killed recorder loses little. */
const CLUSTER_MS = 2000;
const OPUS_PRESKIP = 312;

function idBytes(id: number): number[] {
  const out: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return out;
}

/** EBML variable-size integer for an element size (8 bytes for the largest). */
function sizeBytes(size: number): number[] {
  for (let len = 1; len <= 8; len++) {
    if (size < 2 ** (7 * len) - 1) {
      const out = new Array<number>(len).fill(0);
      let v = size;
      for (let i = len - 1; i >= 0; i--) {
        out[i] = v % 256;
        v = Math.floor(v / 256);
      }
      out[0]! |= 1 << (8 - len);
      return out;
    }
  }
  throw new RangeError(`EBML size ${size} too large`);
}

function element(id: number, ...body: Uint8Array[]): Uint8Array {
  const length = body.reduce((n, b) => n + b.length, 0);
  const head = [...idBytes(id), ...sizeBytes(length)];
  const out = new Uint8Array(head.length + length);
  out.set(head, 0);
  let at = head.length;
  for (const b of body) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

function uint(id: number, value: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; v > 0 || bytes.length === 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return element(id, Uint8Array.from(bytes));
}

function float(id: number, value: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, value);
  return element(id, b);
}

function text(id: number, value: string): Uint8Array {
  return element(id, new TextEncoder().encode(value));
}

/** The OpusHead the Opus-in-Matroska mapping puts in CodecPrivate (RFC 7845 §5.1). */
function opusHead(channels: number, sampleRate: number): Uint8Array {
  const b = new Uint8Array(19);
  b.set(new TextEncoder().encode('OpusHead'), 0);
  const v = new DataView(b.buffer);
  v.setUint8(8, 1);
  v.setUint8(9, channels);
  v.setUint16(10, OPUS_PRESKIP, true);
  v.setUint32(12, sampleRate, true);
  return b;
}

/** A Segment of unknown size: the file ends where the stream does. */
const UNKNOWN_SEGMENT = Uint8Array.from([...idBytes(ID.Segment), 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** The bytes before the first cluster: EBML header, Segment start, Info, Tracks. */
export function matroskaHeader(track: MatroskaTrack): Uint8Array {
  const ebml = element(
    ID.EBML,
    uint(ID.EBMLVersion, 1),
    uint(ID.EBMLReadVersion, 1),
    uint(ID.EBMLMaxIDLength, 4),
    uint(ID.EBMLMaxSizeLength, 8),
    text(ID.DocType, 'webm'),
    uint(ID.DocTypeVersion, 4),
    uint(ID.DocTypeReadVersion, 2),
  );
  const info = element(
    ID.Info,
    uint(ID.TimecodeScale, 1_000_000), // block times in ms
    text(ID.MuxingApp, 'videocall-cli'),
    text(ID.WritingApp, 'videocall-cli record'),
  );
  const entry =
    track.type === 'video'
      ? element(
          ID.TrackEntry,
          uint(ID.TrackNumber, 1),
          uint(ID.TrackUID, 1),
          uint(ID.TrackType, 1),
          text(ID.CodecID, track.codecId),
          element(ID.Video, uint(ID.PixelWidth, track.width), uint(ID.PixelHeight, track.height)),
        )
      : element(
          ID.TrackEntry,
          uint(ID.TrackNumber, 1),
          uint(ID.TrackUID, 1),
          uint(ID.TrackType, 2),
          text(ID.CodecID, track.codecId),
          element(ID.CodecPrivate, opusHead(track.channels, track.sampleRate)),
          uint(ID.CodecDelay, Math.round((OPUS_PRESKIP / 48_000) * 1e9)),
          uint(ID.SeekPreRoll, 80_000_000),
          element(ID.Audio, float(ID.SamplingFrequency, track.sampleRate), uint(ID.Channels, track.channels)),
        );
  const tracks = element(ID.Tracks, entry);
  const out = new Uint8Array(ebml.length + UNKNOWN_SEGMENT.length + info.length + tracks.length);
  let at = 0;
  for (const part of [ebml, UNKNOWN_SEGMENT, info, tracks]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Frames in, Matroska bytes out (through `write`). Times are milliseconds from
 * the track's start. Block times must rise strictly within a track (ffmpeg's
 * muxer refuses "non monotonically increasing dts" otherwise), and the wire
 * does repeat or reorder them (a simulcast layer switch, a sender's clock, two
 * frames in one millisecond): such a frame goes 1 ms after the one before, and
 * is counted in {@link adjusted}.
 * A video keyframe starts a new cluster, so each cluster starts decodable.
 */
export class MatroskaStream {
  /** Frames whose time was moved to keep times strictly increasing. */
  adjusted = 0;
  private blocks: Uint8Array[] = [];
  private clusterMs = -1;
  private lastMs = -1;
  /** Video: each keyframe opens a cluster. Every Opus packet is a keyframe: audio splits on time only. */
  private readonly splitOnKeyframe: boolean;

  constructor(
    track: MatroskaTrack,
    private readonly write: (bytes: Uint8Array) => void,
  ) {
    this.splitOnKeyframe = track.type === 'video';
    write(matroskaHeader(track));
  }

  /** The time the last frame was written at, ms (-1 before the first). */
  get lastTimeMs(): number {
    return this.lastMs;
  }

  /** Adds one frame at `ms` (milliseconds from the start; rounded). */
  add(ms: number, keyframe: boolean, data: Uint8Array): void {
    const asked = Math.max(0, Math.round(ms));
    const t = this.lastMs < 0 ? asked : Math.max(asked, this.lastMs + 1);
    if (t !== asked) this.adjusted++;
    this.lastMs = t;
    const span = t - this.clusterMs;
    if (
      this.clusterMs < 0 ||
      span > MAX_CLUSTER_SPAN_MS ||
      (keyframe && this.splitOnKeyframe && span > 0) ||
      span >= CLUSTER_MS
    ) {
      this.flush();
      this.clusterMs = t;
    }
    const head = new Uint8Array(4);
    head[0] = 0x81; // track 1
    new DataView(head.buffer).setInt16(1, t - this.clusterMs);
    head[3] = keyframe ? 0x80 : 0;
    this.blocks.push(element(ID.SimpleBlock, head, data));
  }

  /** Writes out the cluster in progress (call before closing the pipe). */
  flush(): void {
    if (this.blocks.length === 0) return;
    this.write(element(ID.Cluster, uint(ID.Timecode, this.clusterMs), ...this.blocks));
    this.blocks = [];
  }
}
