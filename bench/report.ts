/**
 * BENCHMARKS.md and the charts in bench/results/, rendered from the stored raw
 * results (bench/results/latest.json), so running a subset of the benchmarks
 * updates only their sections and keeps the others as they were.
 */
import type { BundleSizeResult } from './bundle-size.js';
import type { CodeSize, PlainCallCodeResult } from './plain-call-code.js';
import type { CapacityResult } from './client-capacity.js';
import type { GlassToGlassResult } from './glass-to-glass.js';
import type { IdleMemoryResult } from './idle-memory.js';
import type { LatencyMatrixResult } from './latency-matrix.js';
import type { ReplayRow } from './jitter-buffer-replay.js';
import type { JoinTimeResult } from './join-time.js';
import type { LargeRoomResult } from './large-room.js';
import type { LoadSnapshot, MachineInfo } from './machine.js';
import {
  AUDIO_PACKETS_PER_SECOND,
  FRAME_BYTES,
  KEYFRAME_INTERVAL_SECONDS,
  offeredLoad,
  VIDEO_FPS,
  type FanoutResult,
  type LoadModel,
} from './relay-fanout.js';
import { COLORS, groupedBars, histogram, lineChart } from './svg-chart.js';

/** One benchmark's last run, as stored. */
export interface BenchRecord {
  name: string;
  title: string;
  /** ISO time the benchmark started. */
  date: string;
  /** The command that ran it, and the one that runs it alone. */
  command: string;
  standalone: string;
  machine: MachineInfo;
  /** The commit measured and how many files in the tree differed from it. */
  code?: string;
  /** The machine just before it started, and its load average just after. */
  load: LoadSnapshot;
  loadAfter: [number, number, number];
  seconds: number;
  result?: unknown;
  error?: string;
  /** Why it did not run (e.g. an optional benchmark's file is absent). */
  skipped?: string;
}

export interface StoredResults {
  version: 1;
  benchmarks: Record<string, BenchRecord>;
}

export interface RelayRecordResult {
  /** Medians over rounds, one per (room, server). */
  results: FanoutResult[];
  /** Every run. */
  raw: FanoutResult[];
  durationSeconds: number;
  rounds: number;
  /** Signs the figures do not mean what they should (e.g. a server delivering almost nothing). */
  warnings?: string[];
}

/** How each benchmark is named in the report, in its order. */
export interface SectionSpec {
  name: string;
  title: string;
  standalone: string;
}

const n0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const n1 = (n: number | undefined): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(1) : '–');
const n2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '–');
const kB = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function when(iso: string): string {
  return iso.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
}

function runLine(record: BenchRecord): string {
  const l = record.load;
  return (
    `Last run ${when(record.date)} by \`${record.command}\` (${n0(record.seconds)} s)` +
    `${record.code ? ` on code ${record.code}` : ''}. ` +
    `Before it: load average ${l.loadAverage.join(' / ')} (1 / 5 / 15 min), machine ${n0(l.busyPercent)} % busy` +
    `${l.waitedSeconds >= 3 ? ` after waiting ${n0(l.waitedSeconds)} s for it to quieten` : ''}; ` +
    `after it: load average ${record.loadAfter.join(' / ')}. Alone: \`${record.standalone}\`.`
  );
}

function describeModel(m: LoadModel): string {
  const parts = [];
  if (m.video720) parts.push(`${m.video720} × 720p`);
  if (m.video360) parts.push(`${m.video360} × 360p`);
  return parts.join(' + ') || 'none';
}

function relaySection(record: BenchRecord, charts: Record<string, string>): string {
  const r = record.result as RelayRecordResult;
  const rooms = [...new Set(r.results.map((x) => x.roomSize))];
  const find = (room: number, server: string): FanoutResult | undefined =>
    r.results.find((x) => x.roomSize === room && x.server === server);
  const ratio = (room: number, f: (x: FanoutResult) => number): string => {
    const ours = find(room, 'relay');
    const naive = find(room, 'naive');
    return ours && naive ? n2(f(ours) / f(naive)) : '–';
  };
  const models = rooms.map((room) => find(room, 'relay')?.model ?? find(room, 'naive')!.model);
  charts['relay-fanout.svg'] = groupedBars(
    'Relay fan-out: ours vs a naive ws broadcast',
    [
      {
        title: 'delivered messages/s',
        groups: rooms.map(String),
        series: [
          {
            name: 'ours',
            color: COLORS.ours,
            values: rooms.map((x) => find(x, 'relay')?.deliveredMessagesPerSecond ?? NaN),
          },
          {
            name: 'naive',
            color: COLORS.naive,
            values: rooms.map((x) => find(x, 'naive')?.deliveredMessagesPerSecond ?? NaN),
          },
        ],
      },
      {
        title: 'server CPU µs per message',
        groups: rooms.map(String),
        series: [
          {
            name: 'ours',
            color: COLORS.ours,
            values: rooms.map((x) => find(x, 'relay')?.cpuMicrosPerDelivered ?? NaN),
          },
          {
            name: 'naive',
            color: COLORS.naive,
            values: rooms.map((x) => find(x, 'naive')?.cpuMicrosPerDelivered ?? NaN),
          },
        ],
      },
      {
        title: 'p99 latency, ms',
        groups: rooms.map(String),
        series: [
          { name: 'ours', color: COLORS.ours, values: rooms.map((x) => find(x, 'relay')?.latencyP99Ms ?? NaN) },
          { name: 'naive', color: COLORS.naive, values: rooms.map((x) => find(x, 'naive')?.latencyP99Ms ?? NaN) },
        ],
      },
    ],
    `median of ${r.rounds} rounds of ${r.durationSeconds} s`,
  );
  const resultRows: string[][] = [];
  for (const room of rooms) {
    for (const server of ['relay', 'naive']) {
      const x = find(room, server);
      if (!x) continue;
      const range =
        x.latencyP99Range && x.latencyP99Range.every(Number.isFinite)
          ? ` (${n1(x.latencyP99Range[0])}–${n1(x.latencyP99Range[1])})`
          : '';
      resultRows.push([
        String(room),
        server === 'relay' ? '**ours**' : 'naive',
        n0(x.deliveredMessagesPerSecond),
        n1(x.deliveredBytesPerSecond / 1e6),
        `${n2((1 - x.deliveryRatio) * 100)} %`,
        n2(x.latencyP50Ms),
        `${n1(x.latencyP99Ms)}${range}`,
        n0(x.serverCpuPercent),
        `${n2(x.cpuMicrosPerDelivered)}${
          x.cpuMicrosPerDeliveredRange && x.cpuMicrosPerDeliveredRange.every(Number.isFinite)
            ? ` (${n2(x.cpuMicrosPerDeliveredRange[0])}–${n2(x.cpuMicrosPerDeliveredRange[1])})`
            : ''
        }`,
        // The naive server writes each message to each socket once (ws: one writev of header and payload).
        x.framesPerWrite !== undefined ? n2(x.framesPerWrite) : server === 'naive' ? '1' : '–',
        `${n0(x.idleKiBPerParticipant)} / ${n0(x.loadedKiBPerParticipant)}`,
        n1(x.idleHeapKiBPerParticipant),
        n0(x.clientCpuPercent),
        `${n0(x.othersCpuPercent)}${x.disturbed ? ' ⚠' : ''}`,
      ]);
    }
  }
  const drops = r.results
    .filter((x) => x.server === 'relay' && x.dropped && Object.keys(x.dropped).length > 0)
    .map(
      (x) =>
        `room ${x.roomSize}: ${Object.entries(x.dropped!)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
    );
  return [
    runLine(record),
    '',
    ...(r.warnings ?? []).map((w) => `> **Warning:** ${w}\n`),
    `**Load model.** Simulated participants are Node WebSocket clients speaking the real protocol (Join, MediaFrame envelopes, Ping every 5 s). ` +
      `Cameras send ${VIDEO_FPS} fps of VP8-sized frames — 360p: ${kB(FRAME_BYTES['360p'].delta)} deltas (±50 %), ${kB(FRAME_BYTES['360p'].keyframe)} keyframes; ` +
      `720p: ${kB(FRAME_BYTES['720p'].delta)} deltas, ${kB(FRAME_BYTES['720p'].keyframe)} keyframes; a keyframe every ${KEYFRAME_INTERVAL_SECONDS} s — ` +
      `which is what the element's constant-bitrate encoder sends (530 kbps at 360p30, 1.3 Mbps at 720p30; sizes measured from Chromium encoding a camera-like canvas). ` +
      `Microphones send ${AUDIO_PACKETS_PER_SECOND} Opus packets/s of ${FRAME_BYTES.audio} bytes (32 kbps). Everyone receives everything (the relay forwards every publisher to every participant). ` +
      `Big rooms are scaled as real large meetings are — few cameras and fewer open microphones — and to what this machine can drive: ` +
      `with 10 cameras a room of 200 must deliver ~96k messages/s (150 MB/s) and the simulated clients alone then need a full core on loopback, as much as the server, so neither would be measured.`,
    '',
    table(
      ['room', 'cameras', 'microphones', 'media in, msg/s', 'to deliver, msg/s', 'to deliver, MB/s'],
      models.map((m) => {
        const o = offeredLoad(m);
        return [
          String(m.roomSize),
          describeModel(m),
          String(m.audio),
          n0(o.inPerSecond),
          n0(o.outPerSecond),
          n1(o.outBytesPerSecond / 1e6),
        ];
      }),
    ),
    '',
    `**Ours ÷ naive** (the headline: what our routing, sender stamping, bus and per-receiver queues cost over a bare broadcast; 1.00 = no cost; below 1 is better for every column but the first):`,
    '',
    table(
      [
        'room',
        'delivered msg/s',
        'CPU per delivered message',
        'p50 latency',
        'p99 latency',
        'RSS per participant',
        'heap kept per participant',
      ],
      rooms.map((room) => [
        String(room),
        ratio(room, (x) => x.deliveredMessagesPerSecond),
        ratio(room, (x) => x.cpuMicrosPerDelivered),
        ratio(room, (x) => x.latencyP50Ms),
        ratio(room, (x) => x.latencyP99Ms),
        ratio(room, (x) => x.idleKiBPerParticipant),
        ratio(room, (x) => x.idleHeapKiBPerParticipant ?? NaN),
      ]),
    ),
    '',
    `Figures (median of ${r.rounds} interleaved rounds of ${r.durationSeconds} s each, after 2 s of warm-up; p99 and CPU per message: range over rounds in brackets). ` +
      `CPU columns are % of one core. "Other processes" is CPU used during the window by processes not ours (other engineers' tests): ` +
      `a round where they used more than 30 % of a core was run again (6 re-runs at most in all) and the least disturbed kept; ⚠ marks a figure with such a round left in it.`,
    '',
    table(
      [
        'room',
        'server',
        'delivered msg/s',
        'MB/s',
        'lost',
        'p50 ms',
        'p99 ms',
        'server CPU % of a core',
        'CPU µs / msg (range over rounds)',
        'messages per socket write',
        'RSS KiB per participant idle / loaded',
        'heap KiB per participant',
        'clients CPU %',
        'other processes CPU %',
      ],
      resultRows,
    ),
    '',
    '![Relay fan-out: delivered messages/s, CPU per message and p99 latency, ours vs naive, by room size](bench/results/relay-fanout.svg)',
    '',
    `**How it is measured.** Each server runs in a child process of its own (bench/fanout-server.ts); the clients run in the benchmark's process. ` +
      `Latency is send → receive of each media message on one process clock (the send time rides in the payload), measured at "probe" receivers — the publishers and at least 20 others — that decode every message; ` +
      `the other receivers count messages without decoding (bench/counting-socket.ts) so that the clients stay cheaper than the server. ` +
      `Delivered msg/s counts media messages arriving in the window at every receiver; "lost" is the share of frames sent in the window that the probes never got. ` +
      `Server CPU is \`process.cpuUsage()\` of the server process over the window, reported over IPC; memory per participant is the server's RSS with everyone joined (before any media), minus its RSS before the first connection, divided by participants, both sampled after a full GC ("loaded": at the end of the window, which adds socket buffers and garbage not yet collected). ` +
      `RSS keeps whatever the heap grew to while joining — for our relay that includes the garbage of O(N²) presence traffic (each Welcome lists everyone already there; each join is announced to everyone) — so "heap KiB per participant" gives the state actually kept: JS heap plus external memory after a GC, minus the same before the first connection.` +
      (drops.length ? ` Relay drops (summed over rounds): ${drops.join('; ')}.` : ' The relay dropped nothing.'),
    '',
    `**What limits it.** Below saturation both servers deliver everything, so delivered msg/s is the offered load and the ratio ~1.00; the cost shows in CPU per message and in latency. ` +
      `Most of either server's CPU is the kernel taking socket writes: V8 profiles at rooms 50 and 200 (\`npx tsx bench/relay-fanout.ts --room-sizes 50,200 --rounds 1 --profile <dir>\`, December 2026, machine loaded by others) put 62–77 % of the busy samples of the fan-out in \`writev\`/\`write\` and 10–16 % in Node's stream and socket machinery around them, for both servers. ` +
      `Before batching, the relay made one \`writev\` per receiver per message as the naive server does, and its own code (room loop, backpressure checks, bus header, metrics: ~10 %), \`ws\`'s framing and envelope decoding came on top. ` +
      `Now each envelope is framed once for all its receivers and the frames a receiver gets during one turn of the event loop go out in one write (server/ws-link.ts): "messages per socket write" shows what batching finds, and it grows with load, since a busier turn brings more. ` +
      `A receiver written to less than 2 ms before waits for the next paced flush (at most 2 ms) and gets everything that came meanwhile in that write; one that was quiet is written to at the end of the turn. That costs busy receivers about 1 ms of p50 latency (compare the p50 columns) and takes the relay below the naive broadcast's CPU per message at 50 and 200; with end-of-turn batching alone it was at parity (×1.06 / ×1.02 in the run of 2026-12-03). ` +
      `The simulated clients all run in one process, so their timers fire in bursts and a turn often brings several publishers' frames; clients on separate machines arrive more spread out, and at light load a turn carries one message per receiver, where the relay costs about what the naive server does. ` +
      `On this 2-core machine the clients and the server share the cores: a heavier room saturates the machine, not the relay alone, and another process on the machine shows up first in p99.`,
  ].join('\n');
}

function latencySection(record: BenchRecord, charts: Record<string, string>): string {
  // Older records hold one glass-to-glass run; newer ones the matrix of bench/latency-matrix.ts.
  const result = record.result as LatencyMatrixResult | GlassToGlassResult;
  const rows = 'rows' in result ? result.rows : [result];
  const failures = 'rows' in result ? result.failures : [];
  const charted = rows.find((r) => r.height === 720 && !r.e2ee) ?? rows[0];
  if (charted)
    charts['glass-to-glass.svg'] = histogram({
      title: `Glass-to-glass latency, ${charted.width}×${charted.height} ${charted.codec.toUpperCase()} ${charted.transport ?? ''}, loopback (${charted.samplesMs.length} pictures)`,
      xLabel: 'ms from painting a picture to seeing it on the remote tile',
      samples: charted.samplesMs,
      bin: 5,
      clipAt: Math.max(100, 1.5 * charted.p95Ms),
      markers: [
        { x: charted.p50Ms, label: `p50 ${n1(charted.p50Ms)} ms` },
        { x: charted.p95Ms, label: `p95 ${n1(charted.p95Ms)} ms` },
      ],
    });
  const est = (r: GlassToGlassResult, f: (e: NonNullable<GlassToGlassResult['estimates']>) => number) =>
    r.estimates ? n0(f(r.estimates)) : '–';
  return [
    runLine(record),
    '',
    table(
      [
        'transport',
        'camera',
        'E2EE',
        'mic',
        'codec',
        'sent',
        'g2g p50 ms',
        'g2g p95 ms',
        'pictures/s seen',
        'product video delay p50/p95 ms',
        'product audio delay p50/p95 ms',
        'mouth-to-ear p50/p95 ms',
        'A/V offset p50 ms',
        'A/V |offset| p95 ms',
        'CPU ours / others, % of a core',
      ],
      rows.map((r) => [
        r.transport ?? '?',
        `${r.width}×${r.height}`,
        r.e2ee ? 'on' : 'off',
        r.mic === false ? 'off' : 'on',
        r.codec.toUpperCase(),
        r.sendQuality
          ? `${r.sendQuality.height}p${r.sendQuality.framerate}${r.sendQuality.limitedBy ? ` (${r.sendQuality.limitedBy})` : ''}`
          : '–',
        n1(r.p50Ms),
        n1(r.p95Ms),
        n1(r.receivedFps),
        `${est(r, (e) => e.videoDelayP50Ms)} / ${est(r, (e) => e.videoDelayP95Ms)}`,
        `${est(r, (e) => e.audioDelayP50Ms)} / ${est(r, (e) => e.audioDelayP95Ms)}`,
        r.mouthToEarP50Ms === undefined ? '–' : `${n0(r.mouthToEarP50Ms)} / ${n0(r.mouthToEarP95Ms ?? NaN)}`,
        est(r, (e) => e.avOffsetP50Ms),
        est(r, (e) => e.avOffsetP95AbsMs),
        `${n0(r.chromiumCpuPercent)} / ${n0(r.othersCpuPercent)}`,
      ]),
    ),
    ...(failures.length ? ['', ...failures.map((f) => `Failed: \`${f}\``)] : []),
    '',
    ...breakdownTable(rows),
    '![Histogram of glass-to-glass latency with p50 and p95](bench/results/glass-to-glass.svg)',
    '',
    `**How it is measured.** Two pages of one headless Chromium, both the demo page served by the relay (the element exactly as a site embeds it), the sender with its microphone on (but in the rows marked mic off). ` +
      `Its microphone is a Web Audio track playing a 40 ms tone burst every 500 ms (bench/synthetic-microphone.ts); a detector worklet tapped onto everything the receiver plays reports each burst's onset, and both ends map audio-clock time to the shared page clock with \`getOutputTimestamp()\` (mouth-to-ear column: measured, not estimated). ` +
      `The sender's camera is a \`canvas.captureStream(30)\` track (bench/synthetic-camera.ts, put in place of \`getUserMedia\`'s video by \`page.addInitScript\`): camera-like content (a panning texture, a moving subject, sensor noise) ` +
      `with a barcode across the top quarter carrying \`performance.timeOrigin + performance.now()\` at paint time (32 bits of ms, then the same bits inverted as a check). ` +
      `The receiver reads its remote tile (\`[part~="video"]\` in the element's shadow root: a \`<video>\` fed by a track generator) on every animation frame, decodes the barcode from the current frame's own bytes (\`VideoFrame.copyTo\` of the band, no canvas), and records now − painted time once per new picture (g2g columns). ` +
      `The product columns are the receiver element's own \`participants[0].videoDelayMs\` and \`audioDelayMs\`, sampled every 100 ms: estimates from the capture time each frame carries (on the relay's clock, matched through Ping/Pong), not an independent measurement; the A/V offset is their difference (> 0: the face after the voice). ` +
      `"sent" is what the sender's encoder settled on (it steps down when it cannot keep up).`,
    '',
    `**What limits it.** Everything runs on 2 cores: the sender's software encoder, the receiver's decoder, the relay and the bench's own reading of the tile. ` +
      `Reading at animation frames adds 0–17 ms (half a 60 Hz frame on average), and a 30 fps source can wait up to 33 ms to be captured, as a camera's frame does. ` +
      `Video is held for lip sync until the audio captured with it plays, so with the microphone on the g2g figures follow the audio path (the product audio column): ` +
      `10 ms Opus packets (their first sample waits 10 ms to be encoded), the jitter buffer (its 20 ms floor, plus up to 8 ms before it catches up), and the output's own 10.7 ms; ` +
      `the network is read and the audio decoded in the media worker, and without E2EE the sender's microphone is read, encoded and sent there too, so neither page's main thread is on that path. That path is what holds these rows above the video goals. ` +
      `The rows with the microphone off are the video path alone (nothing to wait for): these are the figures to hold against the video goals (360p p50 ≤ 30 / p95 ≤ 50 ms, 720p ≤ 40 / 70 ms). With a voice, the face is shown with it, never before.`,
  ].join('\n');
}

function joinSection(record: BenchRecord): string {
  const r = record.result as JoinTimeResult;
  return [
    runLine(record),
    '',
    table(
      [
        'connected → first remote frame, p50',
        'max',
        'connected → first remote audio, p50 / max',
        'connected → `vc-joined`, p50',
        '`vc-joined` → first frame, p50',
        'page load → element connected, p50',
        'joins',
        'other processes CPU %',
      ],
      [
        [
          `**${n0(r.p50Ms)} ms**`,
          `${n0(r.maxMs)} ms`,
          r.firstAudioP50Ms === undefined ? '–' : `${n0(r.firstAudioP50Ms)} / ${n0(r.firstAudioMaxMs)} ms`,
          `${n0(r.joinedP50Ms)} ms`,
          `${n0(r.firstFrameAfterJoinedP50Ms)} ms`,
          `${n0(r.loadP50Ms)} ms`,
          `${r.joins.length}${r.failed ? ` (+${r.failed} failed)` : ''}`,
          n0(r.othersCpuPercent),
        ],
      ],
    ),
    '',
    ...(r.firstFrameSteps?.some((step) => step.joins > 0)
      ? [
          "Where the first remote frame's time goes, p50 over the joins of each step (the publisher's and the joining page's frame timelines, `Room.startTimeline`; one browser, one clock; \"tile\" is the bench seeing it on an animation frame):",
          '',
          table(
            ['step', 'p50 ms', 'joins'],
            r.firstFrameSteps.map((step) => [`${step.from} → ${step.to}`, n0(step.p50Ms), String(step.joins)]),
          ),
          '',
        ]
      : []),
    ...(r.fetched
      ? [
          `What the first joining page fetched from the relay to show the remote camera and play its sound (Resource Timing; on the wire as the relay sends it to Chromium, Brotli; the media worker and audio worklets are inside the module):`,
          '',
          table(
            ['script', 'on the wire', 'decoded'],
            [
              ...r.fetched.files.map((f) => [`\`${f.path}\``, kB(f.encodedBytes), kB(f.decodedBytes)]),
              ['**all**', `**${kB(r.fetched.encodedBytes)}**`, kB(r.fetched.decodedBytes)],
            ],
          ),
          '',
        ]
      : []),
    'Each join (ms after the joining page started loading):',
    '',
    table(
      ['#', 'element connected', '`vc-joined`', 'first remote frame', 'first remote audio', 'connected → first frame'],
      r.joins.map((m, i) => [
        String(i + 1),
        n0(m.connected),
        n0(m.joined),
        n0(m.firstFrame),
        m.firstAudio === undefined ? '–' : n0(m.firstAudio),
        n0(m.firstFrame - m.connected),
      ]),
    ),
    '',
    `**How it is measured.** A publisher (the demo page, camera-like canvas at 1280×720, so keyframes have real sizes, and its microphone on) is in the room. ` +
      `Ten times, a fresh page (bench/join-time.ts, \`join.html\`) loads \`/videocall-room.js\`, waits for the element to be defined, marks the time and appends \`<videocall-room room=…>\` (camera and microphone on: the fake devices), ` +
      `and watches on every animation frame for its remote tile to show a decoded frame (a \`<video>\` once a frame is presented, a canvas once one is drawn) and for the element's \`joinTimes.firstAudioMs\` (the first remote audio handed to playout). Joins are 0.7 s apart so the publisher's 500 ms keyframe spacing is not measured.`,
    '',
    `**What limits it.** The joining page's main thread. On 2 cores shared with the publisher it is busy for 340–400 ms of a 440–490 ms join (a devtools trace of one join: Lit rendering the element about 120 ms, the browser's own style, layout, paint and API work about 160 ms, reading and decoding what arrives about 60 ms), and every step waits for it: the network had \`webtransport.json\`'s answer 5–10 ms after asking, the page saw it 60–100 ms later. ` +
      `Connected → \`vc-joined\` is the WebTransport handshake (started at once with the relay's description remembered from the browser's last join, src/transport/webtransport-info.ts; the first join of a browser fetches it first) and Join/Welcome; camera, microphone and codec probing (\`isConfigSupported\`, remembered per browser version) go on meanwhile. ` +
      `Audio needs no keyframe: it follows the Welcome as soon as the publisher's next packet arrives (the joiner's output and decoder are made when the publisher is announced). \`vc-joined\` → first frame is the publisher starting its layer (the relay tells it at once that a layer became wanted), its next frame encoded as a keyframe, then the joiner reading and decoding it behind its busy main thread ("sent → received" and "received → decoded" above). A real camera takes longer to open than Chromium's fake one.`,
  ].join('\n');
}

function capacitySection(record: BenchRecord, charts: Record<string, string>): string {
  const r = record.result as CapacityResult;
  const steps = r.steps;
  const last = new Map<number, (typeof steps)[number]>();
  for (const s of steps) last.set(s.tiles, s);
  const points = [...last.values()];
  charts['client-capacity.svg'] = lineChart({
    title: `Client capacity: drawn fps per remote ${r.recording.width}×${r.recording.height} ${r.recording.codec} tile, one page`,
    xLabel: 'remote tiles (replayed publishers)',
    yLabel: 'frames drawn per second per tile',
    series: [
      { name: 'mean per tile', color: COLORS.ours, points: points.map((s) => [s.tiles, s.meanFps]) },
      { name: 'lowest tile', color: COLORS.naive, points: points.map((s) => [s.tiles, s.minFps]), dashed: true },
    ],
    references: [{ y: r.threshold, label: `90 % of 30 fps` }],
    yMax: 32,
  });
  return [
    runLine(record),
    '',
    `**${r.capacity} remote tiles** of ${r.recording.width}×${r.recording.height} ${r.recording.codec} at ≥ ${r.threshold} fps each (mean over tiles), on one page (stopped: ${r.stoppedBy.replace('-', ' ')}).`,
    '',
    table(
      [
        'tiles',
        'fps per tile, mean',
        'lowest tile',
        'page animation frames/s',
        'Chromium CPU, % of a core',
        'machine busy, % of all cores',
        'other processes, % of a core',
        'held',
      ],
      steps.map((s) => [
        `${s.tiles}${s.retry ? ' (again)' : ''}`,
        n1(s.meanFps),
        n1(s.minFps),
        n0(s.pageFps),
        n0(s.chromiumCpuPercent),
        n0(s.machineBusyPercent),
        n0(s.othersCpuPercent),
        s.held ? 'yes' : '**no**',
      ]),
    ),
    '',
    '![Drawn fps per tile against the number of remote tiles](bench/results/client-capacity.svg)',
    '',
    `**How it is measured.** The element in Chromium publishes a camera-like canvas (bench/synthetic-camera.ts) at 640×360 for 10 s; a Node client in the room records its \`MediaFrame\`s ` +
      `(${r.recording.codec}, ${n0(r.recording.kbps)} kbps, deltas ${kB(r.recording.meanDeltaBytes)}, keyframes ${kB(r.recording.meanKeyframeBytes)}; the browser sent ${n1(r.recording.sourceFps)} fps while recording). ` +
      `N Node bots (bench/media-recording.ts), each a session of its own, replay them at 30 fps with continuous sequence numbers and answer every keyframe request by restarting at the recording's keyframe. ` +
      `The receiver is the demo page with camera and microphone off, in a 1280×800 viewport. Per step: every tile drawing, 2 s settle, then frames drawn per tile over 5 s ` +
      `(the element's renderer count, read in the page; a step below the threshold is measured once more before it counts).`,
    '',
    `**What limits it.** Decoding (software ${r.recording.codec} in Chromium's media threads) and drawing each frame into its tile's canvas on the page's main thread, plus compositing. ` +
      (() => {
        const short = steps.find((x) => !x.held && x.retry) ?? steps.find((x) => !x.held);
        return short
          ? `At ${short.tiles} tiles, where it fell short, Chromium used ${n0(short.chromiumCpuPercent)} % of a core (the machine has 2), the page ran ${n0(short.pageFps)} animation frames/s (60 when it keeps up) and other processes ${n0(short.othersCpuPercent)} % of a core. `
          : '';
      })() +
      `Watch "Chromium CPU": when it nears the 2 cores (200 %), or the machine is busy with other work, frames are dropped — the decode pipeline drops input when more than 3 frames wait and asks for a keyframe. ` +
      `The relay and the bots (this process) use little: N × 30 messages/s.`,
    ...websocketCapacity(r),
  ].join('\n');
}

/** The same page over WebSocket, when the run measured it: rows, and what it says of the transport. */
function websocketCapacity(r: CapacityResult): string[] {
  const ws = (r as CapacityResult & { websocket?: CapacityResult }).websocket;
  if (!ws) return [];
  const held = (x: CapacityResult, tiles: number) => x.steps.filter((s) => s.tiles === tiles).at(-1);
  const compared = ws.steps.map((s) => s.tiles).filter((t, i, all) => all.indexOf(t) === i);
  return [
    '',
    `**The same page over WebSocket** (\`transport="websocket"\`, same run, from 16 tiles): **${ws.capacity} tiles** at ≥ ${ws.threshold} fps, against ${r.capacity} with the element's default (\`auto\`, which ends on WebTransport here).`,
    '',
    table(
      ['tiles', 'default (WebTransport): fps per tile, Chromium CPU %', 'WebSocket: fps per tile, Chromium CPU %'],
      compared.map((t) => {
        const a = held(r, t);
        const b = held(ws, t);
        const cell = (x: CapacityResult['steps'][number] | undefined) =>
          x ? `${n1(x.meanFps)}, ${n0(x.chromiumCpuPercent)} %${x.held ? '' : ' (**no**)'}` : '–';
        return [String(t), cell(a), cell(b)];
      }),
    ),
    '',
    `Over WebTransport the relay sends each publisher track's group of pictures on one QUIC stream (the keyframe opens it, the deltas follow on it, the next keyframe starts the next), so the page reads a few long streams rather than accepting a new one per frame. ` +
      `Before that (one stream per frame: hundreds a second at 20 tiles), a CPU profile of the page at 20 tiles had its main thread 71 % busy on WebTransport against 55 % on WebSocket, the difference in accepting and reading streams, and WebTransport held 20 tiles in every run (\`npx tsx bench/client-capacity.ts --min 16 --max 28 --transport webtransport\` on 2026-12-03: 20 before, then 25, 28 and 32 with a stream per group of pictures). ` +
      `The capacity varies from run to run on this shared machine: compare rounds before trusting a difference of one step.`,
  ];
}

function bundleSection(record: BenchRecord): string {
  // Records stored before the composition was measured have neither files nor compositions.
  type Stored = Omit<BundleSizeResult, 'files' | 'compositions'> & Partial<BundleSizeResult>;
  const r = record.result as Stored;
  const out = [
    runLine(record),
    '',
    table(
      ['file', 'minified', 'min + gzip (level 9)', 'Brotli (as the relay sends it)', 'built'],
      (r.files ?? [r]).map((f, i) => [
        i === 0 ? `\`${f.file}\` (served as \`/videocall-room.js\`)` : `\`${f.file}\``,
        i === 0 ? `**${kB(f.minifiedBytes)}**` : kB(f.minifiedBytes),
        i === 0 ? `**${kB(f.gzipBytes)}**` : kB(f.gzipBytes),
        'brotliBytes' in f && f.brotliBytes !== undefined ? kB(f.brotliBytes) : '–',
        i === 0 ? when(r.builtAt) : '',
      ]),
    ),
    '',
    'The module is what a plain call loads; `dist/chunks/` are fetched on demand (E2EE, panels); the `.iife.js` is the classic-script build with everything inlined; `room.js` the headless call (`videocall-room/room`), with chunks of its own in `dist/room-chunks/`. Built by `npm run build` (rollup + terser); kB = 1000 bytes. ' +
      'The relay sends these files compressed (server/compressed-files.ts): Brotli at quality 11 to browsers that accept it (every current one does), gzip to clients that take only gzip, each copy made once per build. The budgets and the goal are in min + gzip; the join section shows what a joining page actually fetched.',
  ];
  for (const c of r.compositions ?? []) {
    const total = r.files?.find((f) => f.file === c.file)?.gzipBytes ?? 0;
    out.push(
      '',
      `\`${c.file}\` by area (minified bytes attributed through the source map; each area gzipped alone, scaled to the file's ${kB(total)}):`,
      '',
      table(
        ['area', 'minified', 'min + gzip (est.)', 'share'],
        c.areas.map((a) => [a.area, kB(a.minifiedBytes), kB(a.gzipBytes), `${n0((a.gzipBytes / total) * 100)} %`]),
      ),
    );
  }
  return out.join('\n');
}

function plainCallCodeSection(record: BenchRecord): string {
  const r = record.result as PlainCallCodeResult;
  const row = (name: string, s: CodeSize): string[] => [name, kB(s.minifiedBytes), kB(s.gzipBytes), kB(s.brotliBytes)];
  return [
    runLine(record),
    '',
    table(
      ['`dist/videocall-room.js`', 'minified', 'gzip (level 9)', 'Brotli (q 11)'],
      [
        row('the module', r.module),
        row('**what ran** in a plain call, on its own', r.ran),
        row('… of it, the page’s own code (without the inlined worker and worklets)', r.ranOnPage),
        row('what never ran', r.neverRan),
        row('the inlined media worker and audio worklets (counted as run whole)', r.inlinedWorkers),
      ],
    ),
    '',
    `Never ran, by area:`,
    '',
    table(
      ['area', 'never ran', 'of', 'share'],
      r.areas
        .filter((a) => a.neverRanBytes >= 500)
        .map((a) => [
          a.source,
          kB(a.neverRanBytes),
          kB(a.minifiedBytes),
          `${n0((a.neverRanBytes / a.minifiedBytes) * 100)} %`,
        ]),
    ),
    '',
    `The modules with the most code that never ran:`,
    '',
    table(
      ['module', 'never ran', 'of', 'share'],
      r.modules
        .slice(0, 15)
        .map((m) => [
          `\`${m.source}\``,
          kB(m.neverRanBytes),
          kB(m.minifiedBytes),
          `${n0((m.neverRanBytes / m.minifiedBytes) * 100)} %`,
        ]),
    ),
    '',
    `**How it is measured.** Two demo pages in one Chromium (camera and microphone on, Chromium's fake devices) meet in a room. V8's block coverage of the second page (\`page.coverage\`), from before it loads the module until ${r.sawRemoteVideo ? 'it has shown the first page’s camera and' : '(it never showed the other camera:) '} 8 s of call have run, marks each byte of the module as run or not; each set is then compressed on its own. ` +
      `What ran is a floor for any split of this bundle that keeps its features: a first load made of exactly the code a plain call runs would weigh that much. The worker and worklet sources are string literals in the module and count as run whole (the worker's own coverage is not measured), so the floor is high by what of them never runs.`,
    '',
    `**What it says about issue 15's goal** (a plain call at most 40 kB min+gzip). The code a plain call runs is ${kB(r.ran.gzipBytes)} gzipped on its own, ${kB(r.ranOnPage.gzipBytes)} of it the page's own code: no split of this feature set reaches 40 kB. Some code that never runs in a plain call is still needed at once (error classes, reconnection, moderation, what other browsers run), and splitting what is left into chunks saved less than it seemed: the relay sends Brotli, whose window reaches across the module, and the page's copies of the audio encoder and decoder (the worker carries its own; 4.6 + 2.2 kB minified) cost 1.3 kB of gzip but nothing in Brotli when taken out (tried on 2026-12-05). Reaching 40 kB means taking features out of a plain call's first load, or a goal restated in what the relay sends.`,
  ].join('\n');
}

function largeRoomSection(record: BenchRecord): string {
  const rows = record.result as LargeRoomResult[];
  const sel = rows.find((r) => r.mode === 'selective');
  const all = rows.find((r) => r.mode === 'broadcast');
  const drops = (d: Record<string, number>): string =>
    Object.entries(d)
      .map(([k, v]) => `${k} ${n0(v)}`)
      .join(', ') || 'none';
  const body = [
    runLine(record),
    '',
    table(
      [
        'mode',
        'participants (publishing)',
        'joined in, s',
        'frames/s sent (scheduled)',
        'delivered frames/s',
        'per receiver/s',
        'p50 / p99 ms',
        'video lost at probes',
        'relay CPU, % of a core (per participant)',
        'µs per delivered frame',
        'relay RSS, KiB per participant',
        'NATS msgs/s in / out',
        'relay drops (by design)',
        'clients CPU % (loop delay p99 ms)',
      ],
      rows.map((r) => [
        r.mode === 'selective' ? '**selective** (simulcast, subscriptions, loudest 3)' : 'broadcast everything',
        `${n0(r.participants)} (${r.publishers})`,
        n1(r.joinSeconds),
        `${n0(r.sentPerSecond)} (${n0(r.scheduledPerSecond)})`,
        n0(r.deliveredPerSecond),
        n1(r.perReceiverPerSecond),
        `${n1(r.latencyP50Ms)} / ${n1(r.latencyP99Ms)}`,
        n0(r.videoLost),
        `${n1(r.relayCpuPercent)} (${r.relayCpuPerParticipant.toFixed(3)})`,
        n2(r.relayMicrosPerDelivered),
        n1(r.relayKiBPerParticipant),
        `${n0(r.natsMsgsInPerSecond)} / ${n0(r.natsMsgsOutPerSecond)}`,
        drops(r.relayDrops),
        `${n0(r.clientsCpuPercent)} (${n0(r.clientsLoopDelayP99Ms)})`,
      ]),
    ),
  ];
  if (sel && all) {
    const ratio = (a: number, b: number): string => `×${n2(a / b)}`;
    body.push(
      '',
      `**Selective ÷ broadcast, per participant, same run:** frames each receiver gets ${ratio(sel.perReceiverPerSecond, all.perReceiverPerSecond)}, ` +
        `relay CPU ${ratio(sel.relayCpuPerParticipant, all.relayCpuPerParticipant)}, relay memory ${ratio(sel.relayKiBPerParticipant, all.relayKiBPerParticipant)}, ` +
        `NATS messages out ${ratio(sel.natsMsgsOutPerSecond / sel.participants, all.natsMsgsOutPerSecond / all.participants)}. ` +
        `Broadcast needs publishers × participants frames a second, so its room is ${n0(all.participants)}.`,
      '',
      `**Where it saturates.** The simulated participants all run in the bench's one Node process: it sent ${n0(sel.sentPerSecond)} of the ` +
        `${n0(sel.scheduledPerSecond)} frames/s its publishers' timers schedule (CPU ${n0(sel.clientsCpuPercent)} % of a core, event-loop delay p99 ` +
        `${n0(sel.clientsLoopDelayP99Ms)} ms), so the clients saturate first and their event-loop delay is most of the latency figures. ` +
        `The three relays then used ${n1(sel.relayCpuPercent)} % of a core together, ${n2(sel.relayMicrosPerDelivered)} µs per delivered frame; ` +
        `at the full scheduled load that cost extrapolates to ${n0(sel.relayCpuAtScheduledPercent)} % of a core for 1000 participants on 3 relays, ` +
        `about ${n0(sel.relayCpuAtScheduledPercent / 3)} % each. NATS stays light: only watched publisher-layers cross between relays.`,
    );
  }
  return body.join('\n');
}

function idleMemorySection(record: BenchRecord): string {
  const rows = record.result as IdleMemoryResult[];
  // Rows from before the baseline existed have no `presence`: they announced each join.
  const relay = (n: number, presence: 'batched' | 'each' = 'batched'): IdleMemoryResult | undefined =>
    rows.find((r) => r.server === 'relay' && r.participants === n && (r.presence ?? 'each') === presence);
  const big = Math.max(...rows.map((r) => r.participants));
  const [batched, each] = [relay(big), relay(big, 'each')];
  const ratio = (a: number | undefined, b: number | undefined): string =>
    a !== undefined && b !== undefined && b > 0 ? `×${n2(a / b)}` : '–';
  const serverLabel = (r: IdleMemoryResult): string =>
    r.server !== 'relay' ? 'naive' : r.presence === 'each' ? 'ours, joins one by one (baseline)' : '**ours**';
  return [
    runLine(record),
    '',
    table(
      [
        'participants',
        'server',
        'per connection, not joined: RSS KiB',
        'heap + external KiB',
        'per joined participant: RSS KiB',
        'heap + external KiB',
        'presence messages while joining',
        'presence sent while joining, MiB',
        'last Welcome, KiB',
        'joins took, s',
      ],
      rows.map((r) => [
        n0(r.participants),
        serverLabel(r),
        n1(r.connectedRssKiB),
        n1(r.connectedHeapKiB),
        r.server === 'relay' ? n1(r.joinedRssKiB) : '–',
        r.server === 'relay' ? `**${n1(r.joinedHeapKiB)}**` : '–',
        r.presenceMessages !== undefined ? n0(r.presenceMessages) : '–',
        r.presenceBytes !== undefined ? n1(r.presenceBytes / 2 ** 20) : '–',
        r.lastWelcomeBytes !== undefined ? n1(r.lastWelcomeBytes / 1024) : '–',
        n1(r.joinSeconds),
      ]),
    ),
    '',
    `**How it is measured.** N participants join one room over WebSocket, one after another (each waits for its Welcome), camera and microphone off, and then only send a Ping every 5 s (bench/counting-socket.ts clients). ` +
      `The server runs in a child process of its own (bench/fanout-server.ts); its memory is sampled after two full GCs before the first connection, with the N WebSockets open but not joined, and with all N joined; each figure is the growth divided by N. ` +
      `"Heap + external" is the state the server keeps (JS heap plus memory outside it: Buffers, sockets); RSS also keeps what the heap grew to while joining. ` +
      `The naive \`ws\` server (bench/fanout-server.ts: no protocol, no rooms) gives the floor of a bare WebSocket connection. ` +
      `Our relay runs twice for each N: as it is (from 50 participants a join waits up to 100 ms to be announced with the ones after it, one \`PeersJoined\` per member; the clients set \`Join.batched_presence\` as the element does), and with \`PRESENCE_BATCH_MS=0\` (each join its own message to everyone), the baseline.`,
    '',
    `**What it shows.** State kept per participant is linear: heap per participant does not grow with N (it falls, as fixed costs such as code compiled on first use spread over more participants); ` +
      `at ${n0(big)} it is ${n1(batched?.joinedHeapKiB ?? NaN)} KiB per idle participant. ` +
      `Most of it is the connection itself (TCP socket, \`ws\`, our Connection with its queues and rate limiters; compare the naive floor), the rest the room (roster entry, bus subscription). ` +
      `Presence bytes stay quadratic, as they must while everyone is told of everyone: each Welcome lists everyone already there, once (${batched?.lastWelcomeBytes ? `${n1(batched.lastWelcomeBytes / 1024)} KiB for the ${n0(big)}th` : 'about 30 bytes per participant listed'}, about 30 bytes each: id, name, state, decoders). ` +
      `Messages no longer are: at ${n0(big)} participants, announcing joins in batches sends ${ratio(batched?.presenceMessages, each?.presenceMessages)} the presence messages of announcing each (${ratio(batched?.presenceBytes, each?.presenceBytes)} the bytes), ` +
      `the joins take ${ratio(batched?.joinSeconds, each?.joinSeconds)} the time, and RSS per participant is ${ratio(batched?.joinedRssKiB, each?.joinedRssKiB)} (heap kept ${ratio(batched?.joinedHeapKiB, each?.joinedHeapKiB)}). ` +
      `Joiners here come one after another, each waiting for its Welcome; joins that arrive together (a meeting's start) gather into fewer, larger batches still. ` +
      `RSS is the allocator's high-water mark from the joins (it keeps pages the heap grew to while a thousand Welcomes and announcements were built and sent), not the state kept (the heap column): it varies from run to run by more than the difference between the two ways of announcing joins.`,
  ].join('\n');
}

/** A benchmark this file does not know (rows other issues add): shown as it returned its result. */
/** Where the milliseconds go: each stage's p50 / p95 (ms) per matrix row, from the product's timeline. */
function breakdownTable(rows: GlassToGlassResult[]): string[] {
  const withBreakdown = rows.filter((r) => r.breakdown);
  if (!withBreakdown.length) return [];
  const label = (r: GlassToGlassResult) =>
    `${r.transport === 'webtransport' ? 'WT' : r.transport === 'websocket' ? 'WS' : (r.transport ?? '?')} ${r.height}p${r.e2ee ? ' E2EE' : ''}${r.mic === false ? ' no mic' : ''}`;
  const stages: [string, string][] = [];
  for (const r of withBreakdown)
    for (const kind of ['video', 'audio'] as const)
      for (const f of r.breakdown![kind])
        if (!stages.some(([k, s]) => k === kind && s === f.stage)) stages.push([kind, f.stage]);
  return [
    "**Where the milliseconds go** (p50 / p95 ms per stage, from the product's own per-frame timeline, `Room.startTimeline()`; sender and receiver records of each frame matched by media timestamp):",
    '',
    table(
      ['path', 'stage', ...withBreakdown.map(label)],
      stages.map(([kind, stage]) => [
        kind,
        stage,
        ...withBreakdown.map((r) => {
          const f = r.breakdown![kind as 'video' | 'audio'].find((x) => x.stage === stage);
          return f ? `${n1(f.p50Ms)} / ${n1(f.p95Ms)}` : '–';
        }),
      ]),
    ),
    '',
  ];
}

function jitterSection(record: BenchRecord): string {
  const rows = record.result as ReplayRow[];
  return [
    runLine(record),
    '',
    table(
      [
        'recorded call',
        'target covers',
        'delay p50 ms',
        'delay p95 ms',
        'p50 vs before',
        'concealed %',
        'dropped to catch up %',
        'underruns',
      ],
      rows.map((r) => [
        r.trace,
        r.policy,
        n1(r.delayP50Ms),
        n1(r.delayP95Ms),
        `×${n2(r.delayRatio)}`,
        n2(r.concealedPercent),
        n2(r.droppedPercent),
        n0(r.underruns),
      ]),
    ),
    '',
    `**How it is measured.** Each fixture (bench/fixtures/audio-arrivals-*.json) is a real two-page call on this machine, recorded at the receiver's hand-over of each decoded packet to its playout worklet ` +
      `(\`npx tsx bench/jitter-buffer-replay.ts --record out.json\`); "busy" and "loaded" were recorded while other sessions ran tests, with the network read and audio decoded on the page's main thread; "worker-quiet" and "worker-loaded" (2026-12-04) with both in the media worker, quiet and beside a relay fan-out bench (20 ms packets); "worker-mic-quiet" (10 ms packets, the sender's microphone also read, encoded and sent in its media worker) and "busy-call-worker-mic" (the same, in the two-page call of two browsers with the synthetic camera, \`npx tsx bench/busy-call.ts --record-arrivals out.json\`, 30 s). ` +
      `Replaying the arrivals through \`AudioJitterBuffer\` pulls 128-sample quanta as the worklet does, with speech-like audio (1.2 s of tone, 0.4 s of silence), so every policy meets exactly the same arrivals. ` +
      `"max (before)" is the first target (the worst delay of the last 4 s plus a margin, shrinking 20 ms/s); the default covers the 95th percentile, shrinks 40 ms/s, and catches up once the delay is 8 ms over its target (15 ms before the media worker).`,
    '',
    `**What limits it.** The arrivals themselves. Read on a page's main thread (the first three traces), on two cores shared by two pages, a relay and the bench, they stall for 50–600 ms at times, and every packet behind a stall arrives late at once: ` +
      `a target that covers the stalls holds all audio back for seconds; one that covers 95 % conceals the stall and catches up afterwards, and a tighter catch-up costs concealment there. ` +
      `Read and decoded in the media worker (the worker traces) the page's stalls no longer reach them: the 8 ms slack takes 6–8 ms off the delay for 0.02–0.1 % more concealment, and what is left in a quiet call is mostly the 20 ms floor (the quiet trace's transit spread is 11.8 ms at p95: the floor hardly binds, so lowering it gains 3 ms). ` +
      `In the two-page call, with both the microphone and the playout off the main threads, the spread is 65 ms at p95 and 121 ms at p99, and most of it is between the sender's \`send\` and the receiver's worker reading it (the two-page call's breakdown, below: audio sent → received 45–61 ms at p95, against 17–19 ms for capture → encoded): the network service, the relay and the workers wait for two cores that both browsers keep busy. Covering 90 % there would take 30 ms off the delay for 1.5 % more concealment and twice the underruns.`,
  ].join('\n');
}

function genericSection(record: BenchRecord): string {
  const value = record.result;
  const body: string[] = [runLine(record), ''];
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const cell = (v: unknown): string =>
    typeof v === 'number' ? (Number.isInteger(v) ? n0(v) : n2(v)) : typeof v === 'string' ? v : JSON.stringify(v);
  const rowsTable = (rows: Record<string, unknown>[]): string => {
    const header = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    return table(
      header,
      rows.map((row) => header.map((h) => cell(row[h]))),
    );
  };
  if (typeof value === 'string') body.push(value);
  else if (isRecord(value) && typeof value.markdown === 'string') body.push(value.markdown);
  else if (Array.isArray(value) && value.every(isRecord)) body.push(rowsTable(value));
  else if (isRecord(value)) {
    const scalars = Object.entries(value).filter(([, v]) => typeof v !== 'object' || v === null);
    const arrays = Object.entries(value).filter(([, v]) => Array.isArray(v) && v.length > 0 && v.every(isRecord));
    if (scalars.length)
      body.push(
        table(
          ['figure', 'value'],
          scalars.map(([k, v]) => [k, cell(v)]),
        ),
      );
    for (const [name, rows] of arrays) body.push('', `${name}:`, '', rowsTable(rows as Record<string, unknown>[]));
    const rest = Object.fromEntries(
      Object.entries(value).filter(([k, v]) => typeof v === 'object' && v !== null && !arrays.some(([a]) => a === k)),
    );
    if (Object.keys(rest).length) body.push('', '```json', JSON.stringify(rest, null, 2), '```');
  } else body.push('```json', JSON.stringify(value, null, 2), '```');
  return body.join('\n');
}

function headline(results: StoredResults): string {
  const lines: string[] = [];
  const relay = results.benchmarks.relay;
  if (relay?.result) {
    const r = relay.result as RelayRecordResult;
    const rooms = [...new Set(r.results.map((x) => x.roomSize))];
    const pair = (room: number): [FanoutResult | undefined, FanoutResult | undefined] => [
      r.results.find((x) => x.roomSize === room && x.server === 'relay'),
      r.results.find((x) => x.roomSize === room && x.server === 'naive'),
    ];
    const cell = (room: number, f: (x: FanoutResult) => number, format: (n: number) => string): string => {
      const [ours, naive] = pair(room);
      if (!ours) return '–';
      return naive ? `${format(f(ours))} vs ${format(f(naive))} → **×${n2(f(ours) / f(naive))}**` : format(f(ours));
    };
    lines.push(
      `**Relay fan-out, ours vs naive \`ws\` broadcast** (ours vs naive → ratio; load average before: ${relay.load.loadAverage[0]}; ` +
        `other processes used up to ${n0(Math.max(...r.results.map((x) => x.othersCpuPercent ?? NaN)))} % of a core, median over rounds):`,
      '',
      table(
        [
          'room',
          'delivered msg/s',
          'relay CPU per message, µs',
          'p50 latency, ms',
          'p99 latency, ms',
          'RSS per participant, KiB',
          'heap kept per participant, KiB',
        ],
        rooms.map((room) => [
          String(room),
          cell(room, (x) => x.deliveredMessagesPerSecond, n0),
          cell(room, (x) => x.cpuMicrosPerDelivered, n1),
          cell(room, (x) => x.latencyP50Ms, n2),
          cell(room, (x) => x.latencyP99Ms, n1),
          cell(room, (x) => x.idleKiBPerParticipant, n0),
          cell(room, (x) => x.idleHeapKiBPerParticipant ?? NaN, n1),
        ]),
      ),
      '',
    );
  }
  const rows: string[][] = [];
  const add = (
    name: string,
    figure: string,
    value: (record: BenchRecord) => string,
    others: (record: BenchRecord) => number = () => NaN,
  ): void => {
    const record = results.benchmarks[name];
    const load = (r: BenchRecord): string => String(r.load.loadAverage[0]);
    if (record?.result) rows.push([figure, value(record), load(record), n0(others(record))]);
    else if (record?.error) rows.push([figure, `failed: ${record.error.split('\n')[0]}`, load(record), '–']);
  };
  add(
    'latency',
    'Glass-to-glass latency (Chromium, loopback)',
    (rec) => {
      const result = rec.result as LatencyMatrixResult | GlassToGlassResult;
      const rows = 'rows' in result ? result.rows : [result];
      return rows
        .filter((r) => !r.e2ee)
        .map(
          (r) =>
            `${r.transport ?? ''} ${r.height}p${r.mic === false ? ' video alone (mic off)' : ''}: p50 **${n1(r.p50Ms)} ms**, p95 **${n1(r.p95Ms)} ms** (${r.codec.toUpperCase()})`,
        )
        .join('; ');
    },
    (rec) => {
      const result = rec.result as LatencyMatrixResult | GlassToGlassResult;
      return ('rows' in result ? result.rows[0]?.othersCpuPercent : result.othersCpuPercent) ?? NaN;
    },
  );
  add(
    'join',
    'Join: element connected → first remote frame drawn',
    (rec) => {
      const r = rec.result as JoinTimeResult;
      return `p50 **${n0(r.p50Ms)} ms**, max ${n0(r.maxMs)} ms (${r.joins.length} joins)`;
    },
    (rec) => (rec.result as JoinTimeResult).othersCpuPercent,
  );
  add(
    'capacity',
    'Client capacity: remote 360p tiles one page draws at ≥ 27 fps',
    (rec) => {
      const r = rec.result as CapacityResult & { websocket?: CapacityResult };
      return `**${r.capacity}** (${r.recording.codec})${r.websocket ? `; **${r.websocket.capacity}** over WebSocket` : ''}`;
    },
    (rec) => {
      const r = rec.result as CapacityResult;
      const last = r.steps.filter((s) => s.held).at(-1);
      return last?.othersCpuPercent ?? NaN;
    },
  );
  add('bundle', 'Bundle `/videocall-room.js`', (rec) => {
    const r = rec.result as BundleSizeResult;
    const brotli = r.files?.[0]?.brotliBytes;
    return (
      `**${kB(r.minifiedBytes)}** minified, **${kB(r.gzipBytes)}** min+gzip` +
      (brotli === undefined ? '' : `, ${kB(brotli)} as the relay sends it (Brotli)`)
    );
  });
  if (rows.length)
    lines.push(table(['figure', 'value', 'load average before (1 min)', 'other processes during, % of a core'], rows));
  return lines.join('\n');
}

/** Renders BENCHMARKS.md and the charts (file name → SVG) from the stored results. */
export function renderReport(
  results: StoredResults,
  sections: SectionSpec[],
): { markdown: string; charts: Record<string, string> } {
  const charts: Record<string, string> = {};
  const records = Object.values(results.benchmarks);
  const latest = records.reduce<BenchRecord | undefined>((a, b) => (!a || b.date > a.date ? b : a), undefined);
  const out: string[] = [
    '# Benchmarks',
    '',
    'Where videocall-room stands, measured on one machine. Generated by `npm run bench` (bench/index.ts) from the raw results in',
    '`bench/results/latest.json`; charts are in `bench/results/`. Benchmarks print figures; none is a pass/fail test.',
    '',
    '```sh',
    'npm run bench                   # every benchmark (builds the bundle first), then rewrites this file',
    'npm run bench -- relay join     # only those; the other sections stay as they were',
    `npm run bench -- --list         # names: ${sections.map((s) => s.name).join(', ')}`,
    '```',
    '',
  ];
  if (latest) {
    const m = latest.machine;
    out.push(
      '## Machine',
      '',
      table(
        ['', ''],
        [
          ['CPU', `${m.cores} cores, ${m.cpuModel}`],
          ['memory', `${m.memoryGiB} GiB`],
          ['system', m.os],
          ['Node', m.node],
          ['Chromium', `${m.chromium} (headless, software video codecs)`],
          ['network', 'loopback only'],
        ],
      ),
      '',
      'Other engineers run tests on this machine at the same time: each section gives the load average and CPU use just before it ran; a figure measured under load is worse than the machine can do.',
      '',
    );
  }
  out.push('## Headline', '', headline(results), '');
  for (const spec of sections) {
    const record = results.benchmarks[spec.name];
    out.push(`## ${spec.title}`, '');
    if (!record) out.push(`Not run yet: \`npm run bench -- ${spec.name}\`.`);
    else if (record.skipped) out.push(`Skipped on ${when(record.date)}: ${record.skipped}.`);
    else if (record.error) out.push(runLine(record), '', `It failed: \`${record.error.split('\n')[0]}\`.`);
    else if (spec.name === 'relay') out.push(relaySection(record, charts));
    else if (spec.name === 'latency') out.push(latencySection(record, charts));
    else if (spec.name === 'join') out.push(joinSection(record));
    else if (spec.name === 'jitter') out.push(jitterSection(record));
    else if (spec.name === 'capacity') out.push(capacitySection(record, charts));
    else if (spec.name === 'bundle') out.push(bundleSection(record));
    else if (spec.name === 'plain-call-code') out.push(plainCallCodeSection(record));
    else if (spec.name === 'idle-memory') out.push(idleMemorySection(record));
    else if (spec.name === 'large-room') out.push(largeRoomSection(record));
    else out.push(genericSection(record));
    out.push('');
  }
  return { markdown: out.join('\n'), charts };
}
