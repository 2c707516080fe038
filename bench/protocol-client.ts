/**
 * A participant in Node for the browser benchmarks: the CLI's RoomClient
 * (cli/client/room-client.ts, the element's protocol over a real WebSocket,
 * heartbeat included) with every envelope handed to the caller raw and raw
 * envelopes sent as they are. The recorder and the replay bots of
 * bench/media-recording.ts are built on it.
 */
import { RoomClient } from '../cli/client/room-client.js';
import type { VideoCodecName } from '../src/codec/codec-names.js';
import type { DecodedEnvelope, EnvelopeInit, MediaStateInit } from '../src/protocol/index.js';

export interface ProtocolClientOptions {
  /** The relay's WebSocket URL (`Relay.wsUrl`) or base URL. */
  url: string;
  room: string;
  name: string;
  /** Announced in `Join`; what peers show (camera on means a tile with video). */
  state?: MediaStateInit;
  /** Video codecs announced as decodable. Default VP9, H.264, VP8, AV1 (what Chromium announces). */
  decoders?: VideoCodecName[];
  onEnvelope?: (envelope: DecodedEnvelope) => void;
}

/** A joined participant. */
export class ProtocolClient {
  private constructor(private readonly client: RoomClient) {}

  static async join(options: ProtocolClientOptions): Promise<ProtocolClient> {
    const state = options.state ?? { mic: false, camera: false, screen: false };
    const client = new RoomClient(
      {
        server: options.url,
        room: options.room,
        name: options.name,
        state: () => state,
        decoders: options.decoders ?? ['vp9', 'h264', 'vp8', 'av1'],
      },
      { envelope: (envelope) => options.onEnvelope?.(envelope) },
    );
    await client.join();
    return new ProtocolClient(client);
  }

  get sessionId(): string {
    return this.client.sessionId;
  }

  get open(): boolean {
    return this.client.open;
  }

  /**
   * Sends `message` as it is. Media goes as video (a congested socket drops it
   * rather than queue latency); false when it was not sent.
   */
  send(message: EnvelopeInit): boolean {
    if (!message.media) {
      this.client.sendControl(message);
      return true;
    }
    return this.client.sendEnvelope(message, message.media.keyframe ? 'video-key' : 'video');
  }

  /** Leaves (the others see it at once) and closes the connection. */
  close(): void {
    this.client.leave();
  }
}
