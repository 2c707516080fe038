/**
 * Typed access to `MediaStreamTrackProcessor` (Chromium, Safari 18+ in workers),
 * which TypeScript 5.9's DOM types lack. Declared here, module-scoped, rather
 * than as a global: a global declaration would clash with the one TypeScript
 * will ship, or with another in the project.
 */

/** The subset of `MediaStreamTrackProcessor` the pipeline uses. */
export interface TrackProcessor<T> {
  readonly readable: ReadableStream<T>;
}

interface TrackProcessorConstructor {
  new (init: { track: MediaStreamTrack; maxBufferSize?: number }): TrackProcessor<VideoFrame | AudioData>;
}

/** The constructor on this page's global scope, or `undefined` where there is none. */
export function trackProcessorConstructor(): TrackProcessorConstructor | undefined {
  const ctor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor }).MediaStreamTrackProcessor;
  return typeof ctor === 'function' ? ctor : undefined;
}
