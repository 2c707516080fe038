/** What Debian's ffprobe and ffmpeg make of a media file, as a user checking a recording would see it. */
import { spawnSync } from 'node:child_process';

export interface ProbedFile {
  codec: string;
  type: string;
  /** Seconds, from the container (absent when the file was not finished). */
  duration: number | undefined;
}

export function probe(file: string): ProbedFile {
  const out = spawnSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_name,codec_type:format=duration', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  if (out.status !== 0) throw new Error(`ffprobe ${file}: ${out.stderr}`);
  const json = JSON.parse(out.stdout) as {
    streams: { codec_name: string; codec_type: string }[];
    format: { duration?: string };
  };
  const duration = json.format.duration === undefined ? undefined : Number(json.format.duration);
  return { codec: json.streams[0]!.codec_name, type: json.streams[0]!.codec_type, duration };
}

/**
 * Decodes the whole file (optionally from `seekSeconds`): ffmpeg's complaints
 * and how many frames it decoded. `passthrough` keeps each frame's own time (the
 * file's time base): by default ffmpeg's null output times frames in 1/frame-rate
 * steps, where two frames 1 ms apart collide (a complaint about the output, not the file).
 */
export function decode(
  file: string,
  seekSeconds?: number,
  options: { passthrough?: boolean } = {},
): { errors: string; frames: number } {
  const seek = seekSeconds === undefined ? [] : ['-ss', String(seekSeconds)];
  const timing = options.passthrough ? ['-fps_mode', 'passthrough', '-enc_time_base', '-1'] : [];
  const out = spawnSync('ffmpeg', ['-v', 'error', '-stats', ...seek, '-i', file, ...timing, '-f', 'null', '-'], {
    encoding: 'utf8',
  });
  // -stats prints "frame=  123 …" (video) or "size=N/A time=…" (audio) on stderr; errors are the other lines.
  const lines = out.stderr.split(/[\r\n]+/).filter(Boolean);
  const errors = lines.filter((l) => !/^(frame=|size=)/.test(l.trim())).join('\n');
  const frames = Math.max(0, ...lines.map((l) => Number(/frame=\s*(\d+)/.exec(l)?.[1] ?? 0)));
  return { errors: out.status === 0 ? errors : `exit ${out.status}: ${errors}`, frames };
}

/** Standard deviation of luma of the video frame at `seconds` (64×36 grey): 0 for a flat picture. */
export function lumaSpread(file: string, seconds: number): number {
  const out = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-ss',
      String(seconds),
      '-i',
      file,
      '-frames:v',
      '1',
      '-vf',
      'scale=64:36,format=gray',
      '-f',
      'rawvideo',
      '-',
    ],
    { maxBuffer: 1 << 20 },
  );
  const px = [...out.stdout];
  if (px.length === 0) return 0;
  const mean = px.reduce((a, b) => a + b, 0) / px.length;
  return Math.sqrt(px.reduce((a, b) => a + (b - mean) ** 2, 0) / px.length);
}

/** The loudest sample of an audio file in dBFS (ffmpeg's volumedetect). */
export function maxVolume(file: string): number {
  const out = spawnSync('ffmpeg', ['-v', 'info', '-i', file, '-af', 'volumedetect', '-f', 'null', '-'], {
    encoding: 'utf8',
  });
  return Number(/max_volume:\s*(-?[\d.]+|-inf) dB/.exec(out.stderr)?.[1] ?? -Infinity);
}
