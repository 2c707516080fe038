import { createSocket, type Socket } from 'node:dgram';

/**
 * A loopback UDP port that swallows every packet: what a firewall dropping QUIC
 * looks like to the browser (the handshake never completes). Close it when done.
 */
export async function udpBlackhole(): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}
