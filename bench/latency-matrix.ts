/**
 * `npm run bench -- latency`: glass-to-glass (barcode camera → remote tile, read
 * by the receiver's page) on both transports, at 360p and 720p, with and
 * without E2EE, the sender's microphone on; each row also gives the product's
 * own estimates (video and audio delay from the capture times in the frames, and
 * their offset: lip sync) and what the sender's encoder settled on. Two more rows
 * (WebTransport, no E2EE) have the microphone off: the video path alone, with no
 * audio for lip sync to wait for.
 *
 *     npx tsx bench/latency-matrix.ts [--frames 300]
 */
import { fileURLToPath } from 'node:url';
import { describeGlassToGlass, runGlassToGlass, type GlassToGlassResult } from './glass-to-glass.js';

export interface LatencyMatrixOptions {
  frames?: number;
  onRow?: (row: GlassToGlassResult) => void;
}

export interface LatencyMatrixResult {
  rows: GlassToGlassResult[];
  /** Rows that failed (the message), so one broken case does not hide the others. */
  failures: string[];
}

const TRANSPORTS = ['websocket', 'webtransport'] as const;
const SIZES = [
  [640, 360],
  [1280, 720],
] as const;

export async function runLatencyMatrix(options: LatencyMatrixOptions = {}): Promise<LatencyMatrixResult> {
  const rows: GlassToGlassResult[] = [];
  const failures: string[] = [];
  for (const transport of TRANSPORTS)
    for (const [width, height] of SIZES)
      for (const e2ee of [false, true]) {
        try {
          const row = await runGlassToGlass({ transport, width, height, e2ee, mic: true, frames: options.frames });
          rows.push(row);
          options.onRow?.(row);
        } catch (error) {
          failures.push(`${transport} ${width}×${height}${e2ee ? ' e2ee' : ''}: ${String(error)}`);
        }
      }
  for (const [width, height] of SIZES) {
    try {
      const row = await runGlassToGlass({
        transport: 'webtransport',
        width,
        height,
        mic: false,
        frames: options.frames,
      });
      rows.push(row);
      options.onRow?.(row);
    } catch (error) {
      failures.push(`webtransport ${width}×${height} mic off: ${String(error)}`);
    }
  }
  return { rows, failures };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--frames');
  const result = await runLatencyMatrix({
    frames: i >= 0 ? Number(process.argv[i + 1]) : undefined,
    onRow: (row) => console.log(describeGlassToGlass(row)),
  });
  for (const failure of result.failures) console.error(`FAILED ${failure}`);
}
