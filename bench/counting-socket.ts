/**
 * The cheapest WebSocket client that is still a real one, for the many
 * subscribers of a big simulated room: it does the opening handshake over a raw
 * TCP socket, then walks the frame headers of what arrives and counts messages
 * and bytes without copying or decoding any payload. It sends (masked) binary
 * frames for Join and Ping. The `ws` client allocates and emits every message,
 * which in a room of 200 costs the clients more CPU than the relay spends.
 *
 * Assumes what our servers send: unfragmented binary messages (and a close).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export class CountingSocket {
  /** Complete messages received, and their payload bytes. */
  messages = 0;
  bytes = 0;
  /**
   * Called after each complete message with the running count and the message's
   * first byte (a protobuf envelope's first field tag: which body it carries when
   * it has no `from`, as the relay's own messages), for waiting on a Welcome.
   */
  onMessage: ((count: number, firstByte: number) => void) | null = null;
  // Frame parser state: header bytes collected so far, then payload bytes left to skip.
  private header = Buffer.alloc(14);
  private headerLength = 0;
  private remaining = 0;
  private frameLength = 0;
  private opcode = 0;
  private firstByte = -1;

  private constructor(private readonly socket: Socket) {}

  /** Opens `ws://host:port/path`. */
  static connect(host: string, port: number, path: string): Promise<CountingSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const key = randomBytes(16).toString('base64');
      let response = Buffer.alloc(0);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      const onData = (chunk: Buffer): void => {
        response = Buffer.concat([response, chunk]);
        const end = response.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = response.subarray(0, response.indexOf('\r\n')).toString();
        if (!/^HTTP\/1\.1 101/.test(status)) {
          socket.destroy();
          reject(new Error(`WebSocket upgrade refused: ${status}`));
          return;
        }
        const client = new CountingSocket(socket);
        socket.on('data', (data: Buffer) => client.parse(data));
        socket.on('error', () => undefined);
        const rest = response.subarray(end + 4);
        if (rest.length > 0) client.parse(rest);
        resolve(client);
      };
      socket.on('data', onData);
    });
  }

  /** Sends one binary message (client frames are masked, as RFC 6455 requires). */
  send(payload: Uint8Array): void {
    if (this.socket.destroyed) return;
    const length = payload.length;
    const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
    const frame = Buffer.allocUnsafe(2 + extended + 4 + length);
    frame[0] = 0x82; // FIN, binary
    if (extended === 0) frame[1] = 0x80 | length;
    else if (extended === 2) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    const maskAt = 2 + extended;
    const mask = randomBytes(4);
    mask.copy(frame, maskAt);
    for (let i = 0; i < length; i++) frame[maskAt + 4 + i] = payload[i]! ^ mask[i & 3]!;
    this.socket.write(frame);
  }

  terminate(): void {
    this.socket.destroy();
  }

  private parse(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      if (this.remaining > 0) {
        if (this.remaining === this.frameLength) this.firstByte = data[at]!;
        const take = Math.min(this.remaining, data.length - at);
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.frameDone();
        continue;
      }
      this.header[this.headerLength++] = data[at++]!;
      if (this.headerLength < 2) continue;
      const short = this.header[1]! & 0x7f;
      const need = 2 + (short === 126 ? 2 : short === 127 ? 8 : 0);
      if (this.headerLength < need) continue;
      this.opcode = this.header[0]! & 0x0f;
      this.frameLength =
        short === 126 ? this.header.readUInt16BE(2) : short === 127 ? Number(this.header.readBigUInt64BE(2)) : short;
      this.headerLength = 0;
      this.remaining = this.frameLength;
      this.firstByte = -1;
      if (this.remaining === 0) this.frameDone();
    }
  }

  private frameDone(): void {
    if (this.opcode !== 0x2) return; // only binary data messages count
    this.messages++;
    this.bytes += this.frameLength;
    this.onMessage?.(this.messages, this.firstByte);
  }
}
