/**
 * The media worker: a dedicated worker that holds the call's transport,
 * decodes the remote microphones itself and, without E2EE, encodes and sends
 * ours (`mic-send-host.ts`). A microphone packet goes from the
 * network to its decoder and on to its jitter-buffer worklet without waiting
 * for the page's main thread, which on a busy page (two calls on two cores,
 * rendering, video decoding) held received audio for 50–600 ms at times; the
 * jitter buffer had to cover that, and lip sync then held every picture as
 * long. The page still hears of every envelope (it keeps count of the audio,
 * and handles everything else as before).
 *
 * Loaded as a string (`?worklet` import) and started from a Blob URL. The
 * page's side is `media-worker-client.ts`.
 */
import { AudioDecodeHost, type DecodeWorkerRequest } from '../playout/audio-decode-host.js';
import { TransportHost } from '../transport/transport-host.js';
import { peekAudio } from './audio-peek.js';
import { MicSendHost } from './mic-send-host.js';

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<{ t: string }>) => void) | null;
  close(): void;
}
const scope = globalThis as unknown as WorkerScope;

const decode = new AudioDecodeHost((report) => scope.postMessage(report));

/** A received envelope that is a microphone packet of a stream the page routed here: decoded now. */
function playIfRouted(bytes: Uint8Array): boolean {
  const audio = peekAudio(bytes);
  return audio !== null && decode.play(audio.from, audio.media);
}

const transports = new TransportHost((report, transfer) => scope.postMessage(report, transfer ?? []), playIfRouted);

/** Without E2EE the microphone is read, encoded and sent here too (the page's side: `worker-mic.ts`). */
const mic = new MicSendHost(
  (report) => scope.postMessage(report),
  (id, bytes) => transports.send(id, bytes, 'audio'),
);

/** Closing the transports here rather than by `terminate()` lets their close reach the relay. */
const LINGER_MS = 200;

scope.onmessage = ({ data }) => {
  if (TransportHost.takes(data)) transports.handle(data);
  else if (MicSendHost.takes(data)) mic.handle(data);
  else if (data.t === 'shutdown') {
    mic.stop();
    transports.closeAll();
    setTimeout(() => scope.close(), LINGER_MS);
  } else decode.handle(data as DecodeWorkerRequest);
};
decode.announce();
