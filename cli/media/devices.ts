/**
 * The capture devices `info` lists: V4L2 cameras (/dev/video*, named from
 * sysfs, formats from ffmpeg's `-list_formats all`), ALSA capture devices
 * (/proc/asound/pcm) and PulseAudio sources (`pactl`, when present).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { ffmpegBinary } from './ffmpeg-encoder.js';

export interface CameraFormat {
  /** `Raw` or `Compressed`. */
  type: string;
  /** ffmpeg's pixel format or codec name, e.g. `yuyv422`, `mjpeg`. */
  format: string;
  description: string;
  /** Sizes as `WxH`; a range (`{640-1920, 2}x{480-1080, 2}`) for stepwise devices. */
  sizes: string[];
}

export interface Camera {
  path: string;
  name: string;
  formats: CameraFormat[];
  /** Why the formats could not be read, if they could not. */
  error?: string;
}

export interface AudioDevice {
  /** What `--audio-device` takes: `alsa:hw:0,0` or `pulse:NAME`. */
  device: string;
  name: string;
}

/** Bound on each helper process `info` runs. */
const TOOL_TIMEOUT_MS = 5000;

function run(file: string, args: string[]): Promise<{ stdout: string; stderr: string; ok: boolean }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: TOOL_TIMEOUT_MS }, (error, stdout, stderr) =>
      resolve({ stdout: String(stdout), stderr: String(stderr), ok: !error }),
    );
  });
}

/** Every /dev/video* with its name and formats. */
export async function listCameras(devDir = '/dev'): Promise<Camera[]> {
  let names: string[];
  try {
    names = (await readdir(devDir)).filter((n) => /^video\d+$/.test(n));
  } catch {
    return [];
  }
  names.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  return Promise.all(
    names.map(async (n) => {
      const path = `${devDir}/${n}`;
      const name = (await readFile(`/sys/class/video4linux/${n}/name`, 'utf8').catch(() => '')).trim();
      const { stderr } = await run(ffmpegBinary(), ['-hide_banner', '-f', 'v4l2', '-list_formats', 'all', '-i', path]);
      const formats = parseV4l2Formats(stderr);
      const camera: Camera = { path, name: name || n, formats };
      if (formats.length === 0) camera.error = lastLine(stderr) || 'no formats reported';
      return camera;
    }),
  );
}

/**
 * ffmpeg's format lines, e.g.
 * `[video4linux2,v4l2 @ 0x…] Raw       :     yuyv422 :  YUYV 4:2:2 : 640x480 320x240`.
 */
export function parseV4l2Formats(text: string): CameraFormat[] {
  const formats: CameraFormat[] = [];
  for (const line of text.split('\n')) {
    const match = /\]\s*(Raw|Compressed)\s*:\s*(\S+)\s*:\s*(.*?)\s*:\s*(.*)$/.exec(line);
    if (!match) continue;
    const sizes = match[4]!.match(/\{[^}]*\}x\{[^}]*\}|\d+x\d+/g) ?? [];
    formats.push({ type: match[1]!, format: match[2]!, description: match[3]!, sizes });
  }
  return formats;
}

/** ALSA capture devices and PulseAudio sources. */
export async function listAudioDevices(): Promise<AudioDevice[]> {
  const out: AudioDevice[] = [];
  const pcm = await readFile('/proc/asound/pcm', 'utf8').catch(() => '');
  for (const line of pcm.split('\n')) {
    // "00-00: ALC892 Analog : ALC892 Analog : playback 1 : capture 1"
    const match = /^(\d+)-(\d+):\s*([^:]*?)\s*:.*capture/.exec(line);
    if (match) out.push({ device: `alsa:hw:${Number(match[1])},${Number(match[2])}`, name: match[3]! });
  }
  const pactl = await run('pactl', ['list', 'short', 'sources']);
  if (pactl.ok) {
    for (const line of pactl.stdout.split('\n')) {
      const [, name] = line.split('\t');
      if (name) out.push({ device: `pulse:${name}`, name });
    }
  }
  return out;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}
