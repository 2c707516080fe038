/**
 * The page's side of a worker that decodes remote Opus streams
 * (`audio-decode-host.ts`, run by the media worker): sends it each stream's
 * packets and worklet port, and reads back what it decoded. Its owner starts
 * the worker and makes this at once, before any message is dispatched, so the
 * worker's `ready` is heard here. Where the worker cannot run (a site's
 * Content-Security-Policy forbids `blob:` workers) or has no `AudioDecoder`, it
 * says so once through {@link onfailed}, and the streams decode on the page.
 */
import type { AudioDecodeStats } from '../codec/audio-decode.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import type { DecodeWorkerReport, DecodeWorkerRequest } from './audio-decode-host.js';

/** What a stream hears from the worker: packets handed to its worklet (media µs, wall clock ms) and the decoder's counters. */
export type DecodedCallback = (timestamps: number[], at: number[], stats: AudioDecodeStats) => void;

/** The decoding half of a worker its owner holds (and stops). */
export class AudioDecodeOffload {
  /** Called once if the worker turns out unusable; streams then decode on the page. */
  onfailed: (() => void) | null = null;

  private worker: Worker | null;
  private readonly listeners = new Map<number, DecodedCallback>();
  private nextKey = 1;
  private failedOnce = false;
  private readonly onMessage = (event: MessageEvent<DecodeWorkerReport>): void => this.received(event.data);
  private readonly onError = (event: Event): void => {
    event.preventDefault();
    this.fail();
  };

  /** `worker`: null where none could be started (then this is unusable from the start). */
  constructor(running: boolean, worker: Worker | null) {
    this.worker = worker;
    if (!worker) {
      this.failedOnce = true;
      return;
    }
    worker.addEventListener('message', this.onMessage as EventListener);
    // Blocked by a CSP (Firefox says so asynchronously), failed to start, or crashed.
    worker.addEventListener('error', this.onError);
    this.post({ t: 'running', running });
  }

  /** False once the worker failed: decode on the page. */
  get usable(): boolean {
    return !this.failedOnce;
  }

  /**
   * A new stream's key; its decoder is made and configured now. `from`: the
   * participant whose unencrypted microphone packets the worker decodes as it
   * reads them, when it also holds the transport (the page then only keeps
   * count of those).
   */
  open(onDecoded: DecodedCallback, from?: string): number {
    const key = this.nextKey++;
    this.listeners.set(key, onDecoded);
    this.post(from === undefined ? { t: 'open', key } : { t: 'open', key, from });
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

  /** Closes this offload's streams and stops listening; the worker is its owner's to stop. */
  terminate(): void {
    for (const key of this.listeners.keys()) this.post({ t: 'close', key });
    this.detach();
    this.listeners.clear();
  }

  private post(request: DecodeWorkerRequest): void {
    this.worker?.postMessage(request);
  }

  private received(report: DecodeWorkerReport): void {
    // The worker also says other things (its transports'): not ours.
    if (report.t === 'ready') {
      if (!report.ok) this.fail();
    } else if (report.t === 'decoded') this.listeners.get(report.key)?.(report.timestamps, report.at, report.stats);
  }

  private detach(): void {
    this.worker?.removeEventListener('message', this.onMessage as EventListener);
    this.worker?.removeEventListener('error', this.onError);
    this.worker = null;
  }

  private fail(): void {
    if (this.failedOnce) return;
    this.failedOnce = true;
    this.detach();
    this.onfailed?.();
  }
}
