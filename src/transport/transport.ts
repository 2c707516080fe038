/**
 * One interface for every way to reach the relay (WebSocket now, WebTransport
 * later). A transport moves whole encoded envelopes; it knows nothing of rooms.
 */
export type TransportState = 'connecting' | 'open' | 'closed';

/** Why a transport closed: the relay's close code and reason, or a local cause. */
export interface TransportClose {
  /** WebSocket-style close code (see `CloseCode` in the protocol); 1006 when the connection dropped. */
  code: number;
  /** The relay's reason (an `ErrorCode`), or a description of the local cause. */
  reason: string;
  /** True when the close was asked for by this side. */
  local: boolean;
}

/** How important a message is when the link is congested. */
export type SendPriority = 'control' | 'audio' | 'video-key' | 'video';

export interface Transport {
  /** Which implementation this is, reported to the page (`vc-joined`'s `transport`). */
  readonly kind: 'websocket' | 'webtransport';
  readonly state: TransportState;
  /**
   * Sends one envelope. Returns false when it was dropped because the link is
   * congested (only `video` and `video-key` are ever dropped) or the transport is closed.
   */
  send(bytes: Uint8Array, priority: SendPriority): boolean;
  /**
   * Called for each envelope received. `consumed`: it was already used where
   * this transport runs (a transport in the media worker decodes a microphone's
   * packets there); the owner only keeps count of it. `receivedAt`: when it was
   * read from the network (wall clock ms), where that was earlier than now (in
   * the worker, while the page was busy).
   */
  onmessage: ((bytes: Uint8Array, consumed?: boolean, receivedAt?: number) => void) | null;
  /**
   * Called when a message `send` accepted was dropped after all, because the
   * link is congested: a transport in a worker decides there, after `send`
   * returned. Transports that decide at once never call it.
   */
  ondropped?: ((bytes: Uint8Array, priority: SendPriority) => void) | null;
  /** True when the transport runs off the page's main thread (in the media worker). */
  readonly offThread?: boolean;
  /** Called once when the transport closes, for whatever reason. */
  onclose: ((info: TransportClose) => void) | null;
  close(code?: number, reason?: string): void;
}
