/**
 * A camera or screen track as a stream of `VideoFrame`s.
 *
 * Every frame read must be closed at once by the reader: Chromium's capture
 * stalls when more than about two frames are held.
 */
import { trackProcessorConstructor } from './track-processor.js';

/** Options of {@link videoFrames}. */
export interface VideoFramesOptions {
  /**
   * Use the `<video>` element path even where `MediaStreamTrackProcessor` exists
   * (for tests of that path).
   */
  forceFallback?: boolean;
}

/**
 * The frames of `track`. Cancelling the stream releases what reading took but
 * does not stop the track (its owner does).
 *
 * Uses `MediaStreamTrackProcessor` where present; elsewhere plays the track in
 * a detached `<video>` and makes a `VideoFrame` from it on each new video frame
 * (`requestVideoFrameCallback`, or a timer at the track's frame rate).
 */
export function videoFrames(track: MediaStreamTrack, options: VideoFramesOptions = {}): ReadableStream<VideoFrame> {
  if (track.kind !== 'video') throw new TypeError(`videoFrames needs a video track, not ${track.kind}`);
  const Processor = options.forceFallback ? undefined : trackProcessorConstructor();
  if (Processor) {
    // maxBufferSize 1: when the reader is slow, the processor drops old frames instead of queueing latency.
    return new Processor({ track, maxBufferSize: 1 }).readable as ReadableStream<VideoFrame>;
  }
  return videoElementFrames(track);
}

/** The fallback: `<video>` → `new VideoFrame(video)`. */
function videoElementFrames(track: MediaStreamTrack): ReadableStream<VideoFrame> {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  const frameRate = track.getSettings().frameRate || 30;
  let lastPresented = -1;
  let closed = false;

  /** Resolves at the next painted frame with its count of presented frames (undefined on the timer path). */
  const nextPaint = (): Promise<number | undefined> =>
    new Promise((resolve) => {
      if ('requestVideoFrameCallback' in video) {
        video.requestVideoFrameCallback((_now, metadata) => resolve(metadata.presentedFrames));
      } else {
        setTimeout(() => resolve(undefined), 1000 / frameRate);
      }
    });

  return new ReadableStream<VideoFrame>(
    {
      async start() {
        await video.play();
      },
      async pull(controller) {
        // Wait for a frame we have not delivered yet; the timer path cannot tell, so it delivers each tick.
        for (;;) {
          if (closed) return;
          const presented = await nextPaint();
          if (closed) return;
          if (video.readyState < 2 || video.videoWidth === 0) continue;
          if (presented !== undefined && presented === lastPresented) continue;
          if (presented !== undefined) lastPresented = presented;
          // A live element has no useful media time; the capture moment on the page clock will do.
          controller.enqueue(new VideoFrame(video, { timestamp: Math.round(performance.now() * 1000) }));
          return;
        }
      },
      cancel() {
        closed = true;
        video.pause();
        video.srcObject = null;
      },
    },
    // Pull only when the reader asks, so no frame waits unclosed in the queue.
    { highWaterMark: 0 },
  );
}
