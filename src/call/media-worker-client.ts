/**
 * The page's side of the media worker (`media-worker.ts`): starts it, opens the
 * call's transports in it, gives the audio playout its decoder half, and the
 * local media a microphone encoder that sends from the worker. Where
 * the worker cannot run (a Content-Security-Policy without `blob:` in
 * `worker-src`, no workers), or stops, transports open on the page as before
 * and the page decodes.
 */
import workerCode from './media-worker.ts?worklet';
import { AudioDecodeOffload } from '../playout/audio-decode-offload.js';
import type { ConnectTransportOptions } from '../transport/connect.js';
import { connectLazily } from '../transport/load-connect.js';
import type { Transport } from '../transport/transport.js';
import { TransportClient } from '../transport/worker-transport.js';
import type { MicEncoder, MicEncoderEvents } from './local-media.js';
import type { MicPacketSent, MicSendReport, MicSendRequest } from './mic-send-host.js';
import { WorkerMic } from './worker-mic.js';

/** How long a retired worker may take to close its transports before it is stopped. */
const RETIRE_MS = 2000;

/** One call's media worker. */
export class MediaWorker {
  /** The decoding half, for the audio playout (it closes only its streams: the worker is ours). */
  readonly decoder: AudioDecodeOffload;
  private readonly client: TransportClient;
  private worker: Worker | null = null;
  private readonly url: string;
  private failed = false;
  private mic: WorkerMic | null = null;
  /** Last route told to the worker's microphone. */
  private route: { transport: number | null; clockOffsetMs: number } = { transport: null, clockOffsetMs: 0 };

  /** Starts one where workers exist (null elsewhere, as in Node); `running`: whether the audio output plays yet. */
  static start(running: boolean): MediaWorker | null {
    return typeof Worker === 'undefined' ? null : new MediaWorker(running);
  }

  private constructor(running: boolean) {
    this.url = URL.createObjectURL(new Blob([workerCode], { type: 'text/javascript' }));
    let worker: Worker | null = null;
    try {
      worker = new Worker(this.url, { name: 'videocall-room media' });
    } catch {
      // Blocked by a CSP (Chromium throws), or no workers at all.
    }
    this.worker = worker;
    this.client = new TransportClient({
      postMessage: (message, transfer) => this.worker?.postMessage(message, transfer ?? []),
    });
    if (worker) {
      worker.addEventListener('message', (event: MessageEvent<{ t: string }>) => {
        if (this.client.received(event.data)) return;
        const { t } = event.data;
        if (t === 'mic-sent' || t === 'mic-failed') this.mic?.received(event.data as MicSendReport);
      });
      // Blocked by a CSP (Firefox says so asynchronously) or failed.
      worker.addEventListener('error', () => this.fail('it failed to start or crashed'));
    }
    // Made before any message is dispatched, so it hears the worker's `ready`. A worker
    // without `AudioDecoder` still holds the transport; the page then decodes.
    this.decoder = new AudioDecodeOffload(running, worker);
    if (!worker) this.fail('it could not start');
  }

  /**
   * Opens a transport in the worker (as `connectTransport` does on the page);
   * on the page where the worker cannot run or stopped before it opened.
   */
  connect(server: string, options: ConnectTransportOptions = {}): Promise<Transport> {
    if (this.failed) return connectLazily(server, options);
    return this.client.connect(server, options).catch((error: unknown) => {
      if (this.failed) return connectLazily(server, options);
      throw error;
    });
  }

  /**
   * A microphone encoder that reads, encodes and sends in the worker, on the
   * transport {@link routeMic} names; null where the worker is not running.
   * `sent` hears of its packets (every 100 ms), for the timeline.
   */
  micEncoder(events: MicEncoderEvents, sent: (packets: readonly MicPacketSent[]) => void): MicEncoder | null {
    if (this.failed) return null;
    const mic: WorkerMic = new WorkerMic(
      { post: (request, transfer) => this.post(request, transfer) },
      {
        failed: (error) => events.failed(error),
        lost: () => {
          if (this.mic === mic) this.mic = null;
          events.lost();
        },
      },
      sent,
    );
    this.mic = mic;
    return mic;
  }

  /**
   * Where the worker's microphone sends: `transport` while the call is joined on
   * it (one of the worker's), nowhere while it is null; `clockOffsetMs` is the
   * relay's clock against ours (capture times go out on the relay's clock).
   */
  routeMic(transport: Transport | null, clockOffsetMs: number): void {
    const id = transport ? this.client.idOf(transport) : null;
    const { route } = this;
    if (id === route.transport && Math.abs(clockOffsetMs - route.clockOffsetMs) < 0.1) return;
    this.route = { transport: id, clockOffsetMs };
    this.post({ t: 'mic-route', transport: id, clockOffsetMs });
  }

  private post(request: MicSendRequest, transfer: Transferable[] = []): void {
    this.worker?.postMessage(request, transfer);
  }

  /**
   * The call ended: the worker closes its transports (so the relay sees them
   * close, not vanish) and stops itself; it is stopped for it if it has not
   * within {@link RETIRE_MS}.
   */
  retire(): void {
    this.decoder.terminate();
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage({ t: 'shutdown' });
    this.worker = null;
    this.failed = true;
    this.mic = null;
    this.client.lost('the call ended');
    setTimeout(() => {
      worker.terminate();
      URL.revokeObjectURL(this.url);
    }, RETIRE_MS);
  }

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.worker?.terminate();
    this.worker = null;
    URL.revokeObjectURL(this.url);
    this.client.lost(reason);
    const mic = this.mic;
    this.mic = null;
    mic?.lost();
  }
}
