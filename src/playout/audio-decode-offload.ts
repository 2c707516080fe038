/**
 * The page's side of the audio decode worker (`audio-decode-worker.ts`): starts
 * it, sends it each stream's packets and worklet port, and reads back what it
 * decoded. Where a worker cannot run (a site's Content-Security-Policy forbids
 * `blob:` workers, or the worker has no `AudioDecoder`) it says so once through
 * {@link onfailed}, and the streams decode on the page as before.
 */
import workerCode from './audio-decode-worker.ts?worklet';
import type { AudioDecodeStats } from '../codec/audio-decode.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import type { DecodeWorkerReport, DecodeWorkerRequest } from './audio-decode-worker.js';

/** What a stream hears from the worker: packets handed to its worklet (media µs, wall clock ms) and the decoder's counters. */
export type DecodedCallback = (timestamps: number[], at: number[], stats: AudioDecodeStats) => void;

/** One worker decoding every remote stream of a page. */
export class AudioDecodeOffload {
  /** Called once if the worker turns out unusable; streams then decode on the page. */
  onfailed: (() => void) | null = null;

  private worker: Worker | null = null;
  private readonly url: string;
  private readonly listeners = new Map<number, DecodedCallback>();
  private nextKey = 1;
  private failedOnce = false;

  constructor(running: boolean) {
    this.url = URL.createObjectURL(new Blob([workerCode], { type: 'text/javascript' }));
    try {
      const worker = new Worker(this.url, { name: 'videocall-room audio decode' });
      worker.onmessage = (event: MessageEvent<DecodeWorkerReport>) => this.received(event.data);
      // Blocked by a CSP (Firefox says so asynchronously) or failed to start.
      worker.onerror = (event) => {
        event.preventDefault();
        this.fail();
      };
      this.worker = worker;
      this.post({ t: 'running', running });
    } catch {
      // Blocked by a CSP (Chromium throws), or no workers at all.
      this.fail();
    }
  }

  /** False once the worker failed: decode on the page. */
  get usable(): boolean {
    return !this.failedOnce;
  }

  /** A new stream's key; its decoder is made and configured now. */
  open(onDecoded: DecodedCallback): number {
    const key = this.nextKey++;
    this.listeners.set(key, onDecoded);
    this.post({ t: 'open', key });
    return key;
  }

  /** Where the stream's samples go: a port whose other end its worklet listens on, or null while it has none. */
  setPort(key: number, port: MessagePort | null): void {
    if (!this.worker) {
      port?.close();
      return;
    }
    this.worker.postMessage({ t: 'port', key, port } satisfies DecodeWorkerRequest, port ? [port] : []);
  }

  /** Whether the output plays (see {@link DecodeWorkerRequest}). */
  setRunning(running: boolean): void {
    this.post({ t: 'running', running });
  }

  /** One received packet for stream `key`. */
  push(key: number, media: EncodedMedia): void {
    if (!this.worker) return;
    // A copy the message owns: `media.data` is usually a view of a larger received
    // buffer, which a structured clone would copy whole, and a transfer would take away.
    const data = media.data.slice();
    const request: DecodeWorkerRequest = { t: 'media', key, media: { ...media, data } };
    this.worker.postMessage(request, [data.buffer]);
  }

  close(key: number): void {
    this.listeners.delete(key);
    this.post({ t: 'close', key });
  }

  /** Stops the worker. */
  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    this.listeners.clear();
    URL.revokeObjectURL(this.url);
  }

  private post(request: DecodeWorkerRequest): void {
    this.worker?.postMessage(request);
  }

  private received(report: DecodeWorkerReport): void {
    if (report.t === 'ready') {
      if (!report.ok) this.fail();
    } else this.listeners.get(report.key)?.(report.timestamps, report.at, report.stats);
  }

  private fail(): void {
    if (this.failedOnce) return;
    this.failedOnce = true;
    this.worker?.terminate();
    this.worker = null;
    URL.revokeObjectURL(this.url);
    this.onfailed?.();
  }
}
