/**
 * What a WebTransport client sends, turned into envelopes for its `Connection`,
 * by the relay's wire mapping: the first bidirectional stream is the control
 * stream (length-prefixed envelopes), each datagram is one envelope, and a
 * unidirectional stream is either one envelope (the whole stream, to its FIN)
 * or framed (`framedStreamHeader`: a track's group of pictures, each envelope
 * delivered as it completes; a newer stream on its lane stops the older).
 *
 * Limits, each answered without disturbing anyone else: a stream (or an
 * envelope on a framed one) beyond `maxMessageBytes` is stopped and answered
 * with a non-fatal `too-large` Error, a framed stream that names no lane with a
 * non-fatal `malformed` one;
 * a second bidirectional stream, or more than {@link MAX_OPEN_UNI_STREAMS}
 * unidirectional streams open at once, is refused; a length prefix beyond the
 * limit on the control stream loses its framing and closes with 1009, as an
 * oversized WebSocket message does. A run of refused streams closes the connection
 * as `malformed`, as a run of bad messages does.
 */
import {
  CloseCode,
  encodeEnvelope,
  ErrorCode,
  FRAMED_STREAM_MARKER,
  FrameTooLargeError,
  laneOf,
  LengthPrefixedReader,
} from '../src/protocol/index.js';
import { BodyField } from './body-types.js';
import type { ResolvedRelayOptions } from './config.js';
import { ProtocolError } from './errors.js';
import type { Metrics } from './metrics.js';
import type { Connection } from './connection.js';
import type { WebTransportBidiStream, WebTransportReceiveStream, WebTransportSession } from './webtransport/index.js';
import { WtStreamCode, type WtLink } from './wt-link.js';

/**
 * Unidirectional streams one session may have open at once. A client sends a
 * handful (the browser client keeps at most 6 video streams in flight, plus audio
 * too large for a datagram; a client sending framed streams, one per video lane);
 * QUIC's own stream limit is per connection.
 */
export const MAX_OPEN_UNI_STREAMS = 32;

/** A framed stream from the client: its reader, its lane once named, and how to stop it. */
interface FramedStream {
  readonly framing: LengthPrefixedReader;
  lane?: number;
  /** Stops reading it (a newer stream on its lane started). */
  readonly stop: () => void;
}

/** Why a client's stream was refused (the `refusedStreams` metric label). */
type RefusedReason = 'extra-bidi' | 'uni-limit' | 'too-large' | 'bad-framing';

export class WtInbound {
  private openUniStreams = 0;
  /** The framed stream read on each of the client's lanes now. */
  private readonly lanes = new Map<number, FramedStream>();
  private refusedInRow = 0;

  constructor(
    wt: WebTransportSession,
    private readonly link: WtLink,
    private readonly connection: Connection,
    private readonly options: Pick<ResolvedRelayOptions, 'maxMessageBytes' | 'maxBadMessagesInRow'>,
    private readonly metrics: Metrics,
    /** Runs a handler so that an exception ends this connection only. */
    private readonly guard: (fn: () => void) => void,
  ) {
    wt.onbidistream = (stream) => guard(() => this.bidiStream(stream));
    wt.onunistream = (stream) => guard(() => this.uniStream(stream));
    wt.ondatagram = (data) => guard(() => this.deliver(data));
  }

  private bidiStream(stream: WebTransportBidiStream): void {
    if (this.link.controlStream) {
      stream.stopReading(WtStreamCode.Refused);
      stream.writable.reset(WtStreamCode.Refused);
      return this.refused('extra-bidi');
    }
    this.link.attachControl(stream);
    const framing = new LengthPrefixedReader(this.options.maxMessageBytes);
    stream.ondata = (chunk) =>
      this.guard(() => {
        let messages: Uint8Array[];
        try {
          messages = framing.push(chunk);
        } catch (err) {
          if (!(err instanceof FrameTooLargeError)) throw err;
          // The framing is lost with the oversized message: nothing after it can be read.
          stream.stopReading(WtStreamCode.TooLarge);
          return this.connection.fail(new ProtocolError(ErrorCode.TooLarge, err.message, CloseCode.TooLarge));
        }
        for (const message of messages) {
          if (!this.link.open) return;
          this.deliver(message);
        }
      });
    // The client ended or aborted its control stream: it is going, like a WebSocket that closed.
    const ended = (): void => this.guard(() => this.link.close(CloseCode.Normal, 'control stream ended'));
    stream.onend = ended;
    stream.onreset = ended;
  }

  private uniStream(stream: WebTransportReceiveStream): void {
    if (this.openUniStreams >= MAX_OPEN_UNI_STREAMS) {
      stream.stopReading(WtStreamCode.Refused);
      return this.refused('uni-limit');
    }
    this.openUniStreams++;
    const max = this.options.maxMessageBytes;
    const parts: Uint8Array[] = [];
    let length = 0;
    let open = true;
    const finish = (): boolean => {
      if (!open) return false;
      open = false;
      this.openUniStreams--;
      return true;
    };
    let framed: FramedStream | undefined;
    const done = (): boolean => {
      if (framed?.lane !== undefined && this.lanes.get(framed.lane) === framed) this.lanes.delete(framed.lane);
      return finish();
    };
    const tooLarge = (): void => {
      done();
      parts.length = 0;
      stream.stopReading(WtStreamCode.TooLarge);
      this.refused('too-large');
      this.reply(ErrorCode.TooLarge, `a stream of more than ${max} bytes: envelopes are at most ${max} bytes`);
    };
    // A framed stream whose first message is not a lane: nothing on it can be trusted.
    const badFraming = (): void => {
      done();
      stream.stopReading(WtStreamCode.Refused);
      this.refused('bad-framing');
      this.reply(ErrorCode.Malformed, 'a framed stream must name its lane (4 bytes) first');
    };
    stream.ondata = (chunk) =>
      this.guard(() => {
        if (!open) return;
        if (!framed && length === 0 && chunk.length > 0 && chunk[0] === FRAMED_STREAM_MARKER) {
          const stop = (): void => {
            if (done()) stream.stopReading(WtStreamCode.Superseded);
          };
          framed = { framing: new LengthPrefixedReader(max), stop };
          chunk = chunk.subarray(1);
        }
        if (framed) return this.framedData(framed, chunk, tooLarge, badFraming);
        length += chunk.length;
        if (length <= max) return void parts.push(chunk);
        tooLarge();
      });
    stream.onend = () =>
      this.guard(() => {
        if (!done() || framed) return;
        this.deliver(parts.length === 1 ? parts[0]! : Buffer.concat(parts, length));
      });
    // A frame the client abandoned (a newer keyframe went out): nothing to deliver.
    stream.onreset = () => void done();
  }

  /**
   * A framed stream's chunk: its first message names the lane (the stream
   * before on that lane is stopped: what it still brings is older than this
   * one's keyframe), the others are envelopes, delivered as each completes.
   */
  private framedData(framed: FramedStream, chunk: Uint8Array, tooLarge: () => void, badFraming: () => void): void {
    let messages: Uint8Array[];
    try {
      messages = framed.framing.push(chunk);
    } catch (err) {
      if (!(err instanceof FrameTooLargeError)) throw err;
      return tooLarge();
    }
    for (const message of messages) {
      if (framed.lane === undefined) {
        const lane = laneOf(message);
        if (lane < 0) return badFraming();
        framed.lane = lane;
        this.lanes.get(lane)?.stop();
        this.lanes.set(lane, framed);
        continue;
      }
      if (!this.link.open) return;
      this.deliver(message);
    }
  }

  /** One whole envelope from the client, whatever carried it. */
  private deliver(bytes: Uint8Array): void {
    this.refusedInRow = 0;
    this.connection.onMessage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), true);
  }

  private refused(reason: RefusedReason): void {
    this.metrics.refusedStreams.inc(reason);
    if (++this.refusedInRow < this.options.maxBadMessagesInRow) return;
    this.connection.fail(
      new ProtocolError(ErrorCode.Malformed, `${this.refusedInRow} refused streams in a row`, CloseCode.Malformed),
    );
  }

  /** A non-fatal Error on the control stream, counted like the session's own. */
  private reply(code: ErrorCode, message: string): void {
    if (!this.link.open) return;
    this.metrics.errors.inc(code);
    this.connection.deliverControl(encodeEnvelope({ error: { code, message, fatal: false } }), BodyField.error);
  }
}
