/**
 * A participant in Node that speaks the real protocol over a real WebSocket:
 * joins, answers nothing, pings like the element does, and hands every decoded
 * envelope to the caller. The recorder and the replay bots of the browser
 * benchmarks are built on it.
 */
import { WebSocket } from 'ws';
import {
  Codec,
  decodeEnvelope,
  encodeEnvelope,
  PROTOCOL_VERSION,
  type DecodedEnvelope,
  type EnvelopeInit,
  type MediaStateInit,
} from '../src/protocol/index.js';

export interface ProtocolClientOptions {
  /** The relay's WebSocket URL (`Relay.wsUrl`). */
  url: string;
  room: string;
  name: string;
  /** Announced in `Join`; what peers show (camera on means a tile with video). */
  state?: MediaStateInit;
  /** Video codecs announced as decodable. Default VP9, H.264, VP8, AV1 (what Chromium announces). */
  decoders?: number[];
  onEnvelope?: (envelope: DecodedEnvelope, bytes: Uint8Array) => void;
}

/** A joined participant. */
export class ProtocolClient {
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    private readonly ws: WebSocket,
    readonly sessionId: string,
    intervalMs: number,
  ) {
    // As the element does: a Ping every heartbeat interval keeps a quiet participant in the room.
    this.heartbeat = setInterval(() => this.send({ ping: { time: Date.now() } }), intervalMs);
    this.heartbeat.unref();
  }

  static async join(options: ProtocolClientOptions): Promise<ProtocolClient> {
    const ws = new WebSocket(options.url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const welcome = await new Promise<NonNullable<DecodedEnvelope['welcome']>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.name}: no Welcome in 10 s`)), 10_000);
      ws.on('message', function first(data: Buffer) {
        const envelope = decodeEnvelope(data);
        if (envelope.welcome) {
          clearTimeout(timer);
          ws.off('message', first);
          resolve(envelope.welcome);
        } else if (envelope.error) {
          clearTimeout(timer);
          reject(new Error(`${options.name}: relay error ${envelope.error.code}: ${envelope.error.message}`));
        }
      });
      ws.send(
        encodeEnvelope({
          join: {
            protocolVersion: PROTOCOL_VERSION,
            room: options.room,
            name: options.name,
            state: options.state ?? { mic: false, camera: false, screen: false },
            decoders: options.decoders ?? [Codec.VP9, Codec.H264, Codec.VP8, Codec.AV1],
          },
        }),
      );
    });
    const client = new ProtocolClient(ws, welcome.sessionId ?? '', welcome.heartbeatIntervalMs || 5000);
    ws.on('message', (data: Buffer) => {
      let envelope: DecodedEnvelope;
      try {
        envelope = decodeEnvelope(data);
      } catch {
        return;
      }
      options.onEnvelope?.(envelope, data);
    });
    return client;
  }

  /** Bytes waiting in the socket: a sender can skip a frame rather than queue latency. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(message: EnvelopeInit): void {
    if (this.open) this.ws.send(encodeEnvelope(message));
  }

  sendBytes(bytes: Uint8Array): void {
    if (this.open) this.ws.send(bytes);
  }

  close(): void {
    clearInterval(this.heartbeat);
    if (this.open) this.ws.send(encodeEnvelope({ leave: {} }));
    this.ws.close(1000, 'left');
    // A peer that never completes the closing handshake must not keep the bench alive.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }
}
