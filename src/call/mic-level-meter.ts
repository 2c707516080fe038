import { audioData } from '../capture/audio-data.js';
import { nextShownLevel } from './level-meter.js';

/** How often the shown level is updated (the release in level-meter.ts is per 100 ms). */
const POLL_MS = 100;

/**
 * The level of a microphone track as a meter shows it (0..1 RMS, rising at once
 * and falling off like the speaking rings), e.g. for a pre-join check that the
 * right microphone hears you. Reads the track's audio itself (a muted track reads
 * as silence), so nothing needs to be encoded or sent.
 */
export class MicLevelMeter {
  /** The level to show now, 0..1 (RMS of the samples). */
  level = 0;
  private loudest = 0;
  private stopped = false;
  private readonly reader: ReadableStreamDefaultReader<AudioData>;
  private readonly timer: ReturnType<typeof setInterval>;

  /** Starts reading `track`; `onLevel` is called with each new shown level (every 100 ms while it changes). */
  constructor(
    track: MediaStreamTrack,
    private readonly onLevel: (level: number) => void,
  ) {
    this.reader = audioData(track).getReader();
    void this.read();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  /** Stops reading (the track itself stays as it is). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.reader.cancel().catch(() => undefined);
  }

  private poll(): void {
    const next = nextShownLevel(this.level, this.loudest);
    this.loudest = 0;
    if (next === this.level) return;
    this.level = next;
    this.onLevel(next);
  }

  private async read(): Promise<void> {
    // Bounded by the track: the stream ends with it, or when stop() cancels it.
    while (!this.stopped) {
      let result: ReadableStreamReadResult<AudioData>;
      try {
        result = await this.reader.read();
      } catch {
        return; // the track ended or the reader was cancelled
      }
      if (result.done) return;
      const data = result.value;
      try {
        this.loudest = Math.max(this.loudest, rmsOf(data));
      } finally {
        data.close();
      }
    }
  }
}

/** RMS of the first channel of `data` (−1..1 samples). */
function rmsOf(data: AudioData): number {
  const n = data.numberOfFrames;
  if (n === 0) return 0;
  const samples = new Float32Array(n);
  data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
  let energy = 0;
  for (let i = 0; i < n; i++) energy += samples[i]! * samples[i]!;
  return Math.sqrt(energy / n);
}
