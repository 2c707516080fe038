/**
 * What a {@link Connection} and its {@link Outbound} need from the connection to
 * one client, whatever carries it: a WebSocket (`ws-link.ts`) or a WebTransport
 * session (`wt-link.ts`). The connection decides what to send and
 * when; the link decides how it travels (one message, a stream, a datagram).
 */

/** The carrier of a client connection, as metrics and logs name it. */
export type LinkKind = 'websocket' | 'webtransport';

export interface ClientLink {
  readonly kind: LinkKind;
  /** True while messages can be sent (not closing, not closed). */
  readonly open: boolean;
  /**
   * Bytes queued for this client and not yet taken by the network stack: the
   * backpressure signal {@link Outbound} drops by.
   */
  readonly bufferedAmount: number;
  /** Sends a control envelope (reliable, in order with other control). Returns whether it went. */
  sendControl(bytes: Uint8Array): boolean;
  /**
   * Sends a media envelope of `publisher`'s `kind` track. Returns false when the
   * link dropped it (counted by the link with its reason).
   */
  sendMedia(bytes: Uint8Array, publisher: string, kind: number, keyframe: boolean): boolean;
  /**
   * Closes after what was queued (the `Error` envelope a close follows) with a
   * close code and reason (`CloseCode`, `ErrorCode`). Idempotent.
   */
  close(code: number, reason: string): void;
  /** Cuts the connection at once, without a closing handshake. */
  terminate(): void;
  /** Forgets what the link keeps about `publisher`, who left. */
  forgetPublisher?(publisher: string): void;
  /** The client reads video on framed streams (`Join.framedStreams`); set at its join. */
  framedVideo?: boolean;
}
