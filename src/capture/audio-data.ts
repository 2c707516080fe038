/**
 * A microphone (or screen audio) track as a stream of `AudioData`.
 */
import processorCode from './audio-capture-worklet-processor.ts?worklet';
import { trackProcessorConstructor } from './track-processor.js';

/** Options of {@link audioData}. */
export interface AudioDataOptions {
  /** Use the AudioWorklet path even where `MediaStreamTrackProcessor` exists (for tests of that path). */
  forceFallback?: boolean;
}

/** At most this many 10 ms chunks wait for a slow reader on the fallback path; older audio is worthless. */
const MAX_QUEUED = 20;

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
  return workletAudioData(track);
}

function workletAudioData(track: MediaStreamTrack): ReadableStream<AudioData> {
  let context: AudioContext | undefined;
  let url: string | undefined;
  let port: MessagePort | undefined;
  const release = () => {
    // Chunks the worklet posted before this are still queued on the port: once cancelled
    // or closed the stream must not be handed them (enqueueing would throw).
    if (port) port.onmessage = null;
    port?.close();
    port = undefined;
    void context?.close();
    context = undefined;
    if (url) URL.revokeObjectURL(url);
    url = undefined;
  };

  return new ReadableStream<AudioData>(
    {
      async start(controller) {
        const { ctx, source } = openContext(track);
        context = ctx;
        url = URL.createObjectURL(new Blob([processorCode], { type: 'text/javascript' }));
        await ctx.audioWorklet.addModule(url);
        const node = new AudioWorkletNode(ctx, 'vc-audio-capture', { numberOfInputs: 1, numberOfOutputs: 0 });
        // The context clock starts at 0; the page clock at start makes timestamps comparable to video's.
        const base = performance.now() * 1000;
        port = node.port;
        node.port.onmessage = (event: MessageEvent<{ frame: number; channels: Float32Array[] }>) => {
          const { frame, channels } = event.data;
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED) return;
          const frames = channels[0]!.length;
          const data = new Float32Array(frames * channels.length);
          channels.forEach((c, i) => data.set(c, i * frames));
          controller.enqueue(
            new AudioData({
              format: 'f32-planar',
              sampleRate: ctx.sampleRate,
              numberOfFrames: frames,
              numberOfChannels: channels.length,
              timestamp: Math.round(base + (frame / ctx.sampleRate) * 1e6),
              data,
            }),
          );
        };
        source.connect(node);
        track.addEventListener('ended', () => {
          release();
          try {
            controller.close();
          } catch {
            // Already cancelled.
          }
        });
        await ctx.resume();
      },
      cancel() {
        release();
      },
    },
    { highWaterMark: 1 },
  );
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
