/**
 * The capture worklet's chunks (`audio-capture-worklet-processor.ts`) as a
 * stream of `AudioData`, read from a `MessagePort` wherever it was sent: on
 * the page, or in the media worker, which then reads the microphone without
 * the page's main thread in the way.
 */

/** Where the capture worklet posts, and how to date its chunks. */
export interface CapturePort {
  port: MessagePort;
  /** The worklet's context rate. */
  sampleRate: number;
  /** Timestamp (µs) of the context's frame 0. */
  baseUs: number;
}

/** At most this many 10 ms chunks wait for a slow reader; older audio is worthless. */
const MAX_QUEUED = 20;

/**
 * `AudioData` (`f32-planar`, 10 ms each) from the worklet's chunks on the
 * port (once `capture` resolves, where it is still being opened). Cancelling
 * the stream closes the port; `onCancel` releases the rest.
 */
export function portAudioData(
  capture: CapturePort | Promise<CapturePort>,
  onCancel?: () => void,
): ReadableStream<AudioData> {
  let port: MessagePort | undefined;
  let open = true;
  const release = (): void => {
    if (!open) return;
    open = false;
    // Chunks the worklet posted before this are still queued on the port: once cancelled
    // or closed the stream must not be handed them (enqueueing would throw).
    if (port) port.onmessage = null;
    port?.close();
    onCancel?.();
  };
  return new ReadableStream<AudioData>(
    {
      async start(controller) {
        const opened = await capture;
        const { sampleRate, baseUs } = opened;
        port = opened.port;
        if (!open) return port.close();
        port.onmessage = (event: MessageEvent<{ frame: number; channels: Float32Array[] } | { ended: true }>) => {
          if ('ended' in event.data) {
            release();
            controller.close();
            return;
          }
          const { frame, channels } = event.data;
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED) return;
          const frames = channels[0]!.length;
          const data = new Float32Array(frames * channels.length);
          channels.forEach((c, i) => data.set(c, i * frames));
          controller.enqueue(
            new AudioData({
              format: 'f32-planar',
              sampleRate,
              numberOfFrames: frames,
              numberOfChannels: channels.length,
              timestamp: Math.round(baseUs + (frame / sampleRate) * 1e6),
              data,
            }),
          );
        };
        port.start();
      },
      cancel() {
        release();
      },
    },
    { highWaterMark: 1 },
  );
}

/** Microphone audio sent to the media worker (see `transferableAudio` in `audio-data.ts`). */
export type TransferredAudio = { readable: ReadableStream<AudioData> } | CapturePort;

/** Microphone audio sent to the media worker, read as `AudioData`. */
export function readTransferredAudio(source: TransferredAudio): ReadableStream<AudioData> {
  return 'readable' in source ? source.readable : portAudioData(source);
}
