/**
 * A WebSocket as a {@link ClientLink}: every envelope, control or media, is one
 * binary message, and the buffer is the socket's own.
 *
 * Forwarding is where the relay spends its time, and most of that is the kernel
 * taking one write per receiver per message. So this link frames messages itself
 * and writes them to the TCP socket in batches:
 *
 * - a server's WebSocket frames are not masked, so the frame of an envelope is the
 *   same for every receiver: it is built once per envelope (the room hands the
 *   same bytes to each receiver in turn) and the same Buffer goes to every socket;
 * - what a receiver is sent during one turn of the event loop waits in the link
 *   and goes to its socket in one write (one `writev`) once the turn's input is
 *   handled (`setImmediate`). The busier the relay, the more a turn brings, and
 *   the fewer writes per message;
 * - a receiver written to less than {@link WRITE_PACE_MS} ago waits for the next
 *   paced flush instead (one timer for all such links), so a busy receiver gets
 *   at most a write every couple of milliseconds, each carrying all that came
 *   meanwhile. The kernel's cost is mostly per write, not per byte: in a room of
 *   50 most turns bring a receiver one message, so end-of-turn batching alone
 *   left about 1.5 frames per write. A receiver that was not just written to (a
 *   small call, a quiet moment) is written to at the end of the turn, as before:
 *   only a receiver already getting a message every couple of milliseconds waits,
 *   and never longer than that.
 *
 * Frames written here and by `ws` itself (its closing handshake, answers to
 * pings) interleave only between whole frames: with `perMessageDeflate` off, `ws`
 * writes each frame at once. What waits here is written before a close frame.
 *
 * {@link bufferedAmount} is what the socket holds and the kernel has not taken,
 * as before batching: not what waits here for the end of the turn, which the
 * kernel has not been offered yet (counting it would make a receiver that keeps
 * up look congested whenever a turn brings it a large frame and then another).
 * What waits is bounded: past {@link FLUSH_BYTES} it is written at once.
 */
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { ClientLink } from './client-link.js';
import { createLogger } from './log.js';

const log = createLogger('ws');

/** Bytes waiting for one receiver past which they are written without waiting for the end of the turn. */
export const FLUSH_BYTES = 64 * 1024;

/**
 * Shortest time between two writes to one receiver's socket, in ms, while it is
 * sent more: what comes sooner waits for the next paced flush, up to this long.
 */
export const WRITE_PACE_MS = 2;

/** FIN + binary opcode: a whole binary message in one frame. */
const FIN_BINARY = 0x82;

/** The unmasked server-to-client WebSocket frame of `payload`: header then payload, in one Buffer. */
export function binaryFrame(payload: Uint8Array): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = FIN_BINARY;
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.set(payload, header);
  return frame;
}

// The frame of the envelope framed last. A room sends one envelope to each of its
// receivers in a row, so this one entry spares all but the first of them the framing.
// Envelopes are never changed after they are made (they are shared by all receivers).
let lastPayload: Uint8Array | undefined;
let lastFrame: Buffer | undefined;

function frameOf(payload: Uint8Array): Buffer {
  if (payload !== lastPayload || lastFrame === undefined) {
    lastFrame = binaryFrame(payload);
    lastPayload = payload;
  }
  return lastFrame;
}

/**
 * Socket writes made by every WsLink of this process, and the frames they carried:
 * how much batching finds (read by bench/fanout-server.ts).
 */
export const wsWriteCounts = { writes: 0, frames: 0 };

/** Links with frames waiting for the end of this turn, each once. */
let waiting: WsLink[] = [];
let flushScheduled = false;
/** Links written to less than {@link WRITE_PACE_MS} ago with frames waiting for the paced flush, each once. */
let paced: WsLink[] = [];
let pacedTimer: NodeJS.Timeout | undefined;

function flushWaiting(): void {
  flushScheduled = false;
  const links = waiting;
  waiting = [];
  flushEach(links);
}

function flushPaced(): void {
  pacedTimer = undefined;
  const links = paced;
  paced = [];
  flushEach(links);
}

function flushEach(links: WsLink[]): void {
  for (const link of links) {
    link.waiting = false;
    // One link's failure must not leave the others' frames waiting for good.
    try {
      link.flush();
    } catch (err) {
      log.error('flushing a WebSocket failed', { err });
    }
  }
}

export class WsLink implements ClientLink {
  readonly kind = 'websocket';
  /** `ws`'s TCP socket (its `_socket`), written to directly; undefined when `ws` lacks one (then `ws.send`). */
  private readonly socket: Socket | undefined;
  /** Frames sent this turn, not yet written to the socket, and their bytes. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** In {@link waiting} or {@link paced}: a flush will come. */
  waiting = false;
  /** `performance.now()` of the last write to the socket. */
  private lastWrite = -Infinity;

  constructor(private readonly ws: WebSocket) {
    // `_socket` is ws's own, set before the 'connection' event; checked, so a ws without it still works (unbatched).
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    this.socket = typeof socket?.write === 'function' ? socket : undefined;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  sendControl(bytes: Uint8Array): boolean {
    this.enqueue(bytes);
    return true;
  }

  sendMedia(bytes: Uint8Array): boolean {
    this.enqueue(bytes);
    return true;
  }

  close(code: number, reason: string): void {
    // What was sent before (the `Error` a close follows) goes ahead of the close frame.
    this.flush();
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.ws.terminate();
  }

  /** Writes what waits to the socket, in one write. Called at the end of the turn, or before a close. */
  flush(): void {
    const frames = this.pending;
    if (frames.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    const socket = this.socket!;
    // Closing or closed meanwhile: what waits would follow a close frame, or go nowhere (as `ws.send` drops it then).
    if (this.ws.readyState !== WebSocket.OPEN || !socket.writable) return;
    this.lastWrite = performance.now();
    wsWriteCounts.writes++;
    wsWriteCounts.frames += frames.length;
    if (frames.length === 1) {
      socket.write(frames[0]!);
      return;
    }
    socket.cork();
    for (const frame of frames) socket.write(frame);
    socket.uncork();
  }

  private enqueue(bytes: Uint8Array): void {
    if (!this.socket) {
      this.ws.send(bytes);
      return;
    }
    const frame = frameOf(bytes);
    if (!this.waiting) {
      this.waiting = true;
      if (performance.now() - this.lastWrite < WRITE_PACE_MS) {
        paced.push(this);
        if (!pacedTimer) pacedTimer = setTimeout(flushPaced, WRITE_PACE_MS);
      } else {
        waiting.push(this);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushWaiting);
        }
      }
    }
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }
}
