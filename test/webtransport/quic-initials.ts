/**
 * Client Initials as raw UDP packets, for address-validation tests: quiche's client
 * side writes a real, padded Initial, and the test chooses which socket (source
 * address) sends it, whether a Retry is ever answered, and which token comes back.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  loadQuiche,
  type Quiche,
  type QuicheConfig,
  type QuicheConnection,
} from '../../server/webtransport/quic-binding.js';

/** A UDP socket on a loopback address (any of 127.0.0.0/8), recording what it receives. */
export class LoopbackSocket {
  readonly received: Buffer[] = [];
  private constructor(
    readonly socket: Socket,
    readonly host: string,
    readonly port: number,
  ) {}

  static async bind(host = '127.0.0.1'): Promise<LoopbackSocket> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => resolve());
    });
    const bound = new LoopbackSocket(socket, host, socket.address().port);
    socket.on('message', (packet) => bound.received.push(packet));
    return bound;
  }

  send(packet: Uint8Array, port: number, host = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(packet, port, host, (err) => (err ? reject(err) : resolve())),
    );
  }

  close(): void {
    this.socket.close();
  }
}

let sharedConfig: QuicheConfig | undefined;

/** One client connection's packets, written by quiche and sent by hand. */
export class CraftedClient {
  private constructor(
    readonly quiche: Quiche,
    readonly conn: QuicheConnection,
    readonly local: { host: string; port: number },
    readonly server: { host: string; port: number },
  ) {}

  static async create(
    server: { host: string; port: number },
    local: { host: string; port: number },
  ): Promise<CraftedClient> {
    const load = await loadQuiche();
    if (!load.ok) throw new Error(load.reason);
    const { quiche } = load;
    // One configuration (one TLS context) for every crafted client: making one costs milliseconds.
    if (!sharedConfig) {
      sharedConfig = new quiche.Config();
      sharedConfig.verifyPeer(false);
      sharedConfig.setApplicationProtos(['h3']);
      sharedConfig.setMaxIdleTimeout(10_000);
    }
    const config = sharedConfig;
    const conn = quiche.Connection.connect('localhost', randomBytes(20), local, server, config);
    return new CraftedClient(quiche, conn, local, server);
  }

  /** The next packet quiche wants to send (the first is the padded Initial). */
  next(): Buffer {
    const out = Buffer.alloc(1500);
    const result = this.conn.send(out);
    if (!result) throw new Error('the client had nothing to send');
    return out.subarray(0, result[0]);
  }

  /** Feeds a packet from the server (a Retry, say) to the client. */
  receive(packet: Buffer): void {
    this.conn.recv(packet, { from: this.server, to: this.local });
  }

  /**
   * A Retry as if from the server, carrying `token`: Retry packets are authenticated
   * with a key anyone can derive from the original DCID (RFC 9001 §5.8), so the
   * client accepts it, and its next Initial carries the forged token.
   */
  forgedRetry(initial: Buffer, token: Uint8Array): Buffer {
    const header = this.quiche.Header.fromSlice(initial, this.quiche.MAX_CONN_ID_LEN);
    const out = Buffer.alloc(1500);
    const length = this.quiche.retry(header.scid, header.dcid, randomBytes(20), token, header.version, out);
    return out.subarray(0, length);
  }
}

/** Whether a packet is a QUIC Retry (long header, type 3 in version 1). */
export function isRetry(packet: Buffer): boolean {
  return packet.length > 0 && (packet[0]! & 0xf0) === 0xf0;
}
