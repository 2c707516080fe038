/**
 * A microphone (or screen audio) track as a stream of `AudioData`.
 */
import processorCode from './audio-capture-worklet-processor.ts?worklet';
import { portAudioData, type CapturePort, type TransferredAudio } from './port-audio-data.js';
import { trackProcessorConstructor } from './track-processor.js';

/** Options of {@link audioData}. */
export interface AudioDataOptions {
  /** Use the AudioWorklet path even where `MediaStreamTrackProcessor` exists (for tests of that path). */
  forceFallback?: boolean;
}

/**
 * The audio of `track`, as the browser delivers it (Chromium: `f32-planar`,
 * 10 ms per `AudioData`). The reader closes each `AudioData`. Cancelling the
 * stream releases what reading took but does not stop the track.
 *
 * Uses `MediaStreamTrackProcessor` where present; elsewhere an AudioWorklet
 * captures 10 ms chunks of PCM and the stream wraps them in `AudioData`.
 */
export function audioData(track: MediaStreamTrack, options: AudioDataOptions = {}): ReadableStream<AudioData> {
  if (track.kind !== 'audio') throw new TypeError(`audioData needs an audio track, not ${track.kind}`);
  const Processor = options.forceFallback ? undefined : trackProcessorConstructor();
  if (Processor) return new Processor({ track }).readable as ReadableStream<AudioData>;
  let opened: CaptureWorklet | undefined;
  let cancelled = false;
  const capture = openCaptureWorklet(track).then((worklet) => {
    if (cancelled) worklet.close();
    opened = worklet;
    return worklet.capture;
  });
  return portAudioData(capture, () => {
    cancelled = true;
    opened?.close();
  });
}

/**
 * The audio of `track` in a form the media worker can read it from: the
 * track processor's stream (Chromium hands a transferred one's audio straight
 * to the worker), or the capture worklet's port. The transferables go with the
 * message; `close()` releases what the page keeps (the worklet's context).
 */
export async function transferableAudio(
  track: MediaStreamTrack,
  options: AudioDataOptions = {},
): Promise<{ source: TransferredAudio; transfer: Transferable[]; close(): void }> {
  const Processor = options.forceFallback ? undefined : trackProcessorConstructor();
  if (Processor) {
    const readable = new Processor({ track }).readable as ReadableStream<AudioData>;
    return { source: { readable }, transfer: [readable as unknown as Transferable], close: () => {} };
  }
  const worklet = await openCaptureWorklet(track);
  return { source: worklet.capture, transfer: [worklet.capture.port], close: () => worklet.close() };
}

interface CaptureWorklet {
  capture: CapturePort;
  close(): void;
}

/** A context with the capture worklet reading `track`, posting to a port of its own for the reader. */
async function openCaptureWorklet(track: MediaStreamTrack): Promise<CaptureWorklet> {
  if (track.kind !== 'audio') throw new TypeError(`audioData needs an audio track, not ${track.kind}`);
  const { ctx, source } = openContext(track);
  const url = URL.createObjectURL(new Blob([processorCode], { type: 'text/javascript' }));
  const onEnded = (): void => node?.port.postMessage({ ended: true });
  let node: AudioWorkletNode | undefined;
  const close = (): void => {
    track.removeEventListener('ended', onEnded);
    node?.port.close();
    void ctx.close().catch(() => {});
    URL.revokeObjectURL(url);
  };
  try {
    await ctx.audioWorklet.addModule(url);
    node = new AudioWorkletNode(ctx, 'vc-audio-capture', { numberOfInputs: 1, numberOfOutputs: 0 });
    const channel = new MessageChannel();
    node.port.postMessage({ port: channel.port2 }, [channel.port2]);
    // The context clock starts at 0; the page clock at start makes timestamps comparable to video's.
    const baseUs = performance.now() * 1000;
    source.connect(node);
    track.addEventListener('ended', onEnded);
    await ctx.resume();
    return { capture: { port: channel.port1, sampleRate: ctx.sampleRate, baseUs }, close };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * A context at 48 kHz (what Opus codes) where the browser can resample the
 * track into it; at the device rate where it cannot (older Firefox refuses to
 * connect a stream to a context of another rate).
 */
function openContext(track: MediaStreamTrack): { ctx: AudioContext; source: MediaStreamAudioSourceNode } {
  const stream = new MediaStream([track]);
  const ctx = new AudioContext({ sampleRate: 48000 });
  try {
    return { ctx, source: ctx.createMediaStreamSource(stream) };
  } catch {
    void ctx.close();
    const fallback = new AudioContext();
    return { ctx: fallback, source: fallback.createMediaStreamSource(stream) };
  }
}
