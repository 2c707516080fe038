/**
 * A recorded track whose frames come with the timestamps the wire really
 * gives: repeated (a simulcast layer switch, two frames stamped in the same
 * millisecond) and a little backwards. ffmpeg's WebM muxer refuses a block
 * time that does not rise ("non monotonically increasing dts to muxer: 77 >= 77"):
 * the file must still finish, decode without complaint, and count what it moved.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isVp8Keyframe, IvfReader } from '../../cli/media/ivf-reader.js';
import { matroskaTrackFor, TrackRecording } from '../../cli/record/track-recording.js';
import type { EncodedMedia } from '../../src/codec/encoded-media.js';
import { decode, probe } from './media-files.js';

/** 45 real VP8 frames (3 s at 15 fps, a keyframe every 15) from Debian's ffmpeg. */
function vp8Frames(): { timestampUs: number; data: Uint8Array }[] {
  const ivf = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x90:rate=15',
      '-frames:v',
      '45',
      '-c:v',
      'libvpx',
      '-g',
      '15',
      '-b:v',
      '200k',
      '-f',
      'ivf',
      '-',
    ],
    { maxBuffer: 16 << 20 },
  );
  expect(ivf.status, ivf.stderr?.toString()).toBe(0);
  return new IvfReader().push(ivf.stdout);
}

describe('TrackRecording with repeated and reordered timestamps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vc-track-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a WebM file ffmpeg decodes without complaint, times rising, and counts the frames it moved', async () => {
    const frames = vp8Frames();
    expect(frames).toHaveLength(45);
    const media: EncodedMedia[] = frames.map((f, i) => {
      // Frames 10 and 11 carry frame 9's time (repeated); frame 20 goes 10 ms back.
      let timestamp = f.timestampUs;
      if (i === 10 || i === 11) timestamp = frames[9]!.timestampUs;
      if (i === 20) timestamp = frames[19]!.timestampUs - 10_000;
      return {
        kind: 'video',
        codec: 'vp8',
        keyframe: isVp8Keyframe(f.data),
        timestamp,
        data: f.data,
        layer: 0,
        width: 160,
        height: 90,
        captureTime: 1_700_000_000_000 + timestamp / 1000,
      };
    });
    const track = matroskaTrackFor(media[0]!);
    if (typeof track === 'string') throw new Error(track);
    const file = join(dir, 'video.webm');
    const recording = new TrackRecording('p1', 'Ada', 'video', file, media[0]!, track);
    for (const m of media) expect(recording.add(m)).toBe(true);
    const summary = await recording.finish();

    expect(summary.error).toBeUndefined();
    expect(summary.timestampsAdjusted).toBe(3);
    expect(summary.clockJumps).toBe(0);
    expect(summary.frames).toBe(45);
    // Frames 1 ms apart: decoded at their own times (see decode), every one, without complaint.
    const decoded = decode(file, undefined, { passthrough: true });
    expect(decoded.errors).toBe('');
    expect(decoded.frames).toBe(45);
    const probed = probe(file);
    expect(probed).toMatchObject({ type: 'video', codec: 'vp8' });
    expect(probed.duration).toBeGreaterThan(2.7);
    expect(probed.duration).toBeLessThan(3.3);
    // Every block time rises: what ffmpeg's muxer checks when it reads the file back into another.
    const times = spawnSync(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file],
      { encoding: 'utf8' },
    )
      .stdout.trim()
      .split('\n')
      .map(Number);
    expect(times).toHaveLength(45);
    for (let i = 1; i < times.length; i++) expect(times[i]!, `packet ${i}`).toBeGreaterThan(times[i - 1]!);
  });
});

describe('matroskaTrackFor', () => {
  it("records a screen share's audio as an Opus track of its own, like a microphone", () => {
    const packet = (kind: EncodedMedia['kind'], toc: number): EncodedMedia => ({
      kind,
      codec: 'opus',
      keyframe: true,
      timestamp: 0,
      data: Uint8Array.of(toc, 0, 0),
    });
    const audio = { type: 'audio', codecId: 'A_OPUS', sampleRate: 48_000 };
    expect(matroskaTrackFor(packet('screen-audio', 0x78))).toEqual({ ...audio, channels: 1 });
    expect(matroskaTrackFor(packet('audio', 0x7c))).toEqual({ ...audio, channels: 2 });
  });
});
