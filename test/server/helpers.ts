/**
 * Test helpers: a relay on a free loopback port and a protocol client over a
 * real `ws` socket. Every wait is bounded; a timeout fails with what did arrive.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import {
  decodeEnvelope,
  encodeEnvelope,
  PROTOCOL_VERSION,
  TrackKind,
  type BodyKind,
  type DecodedEnvelope,
  type EnvelopeInit,
  type JoinInit,
  type MediaFrameInit,
} from '../../src/protocol/index.js';
import { startRelay, type Relay, type RelayOptions } from '../../server/relay.js';

/** Default bound of every wait in the helpers. */
export const WAIT_MS = 2000;

/** An envelope known to carry body `K`. */
export type Received<K extends BodyKind> = DecodedEnvelope & { [P in K]: NonNullable<DecodedEnvelope[P]> };

/**
 * Starts a relay on 127.0.0.1, port 0, holding departed participants 250 ms for a
 * resume (10 s in production). Unless given, `demoDir` and `distDir` are
 * fresh empty temporary directories (removed on close), so tests never depend on a build.
 */
export async function startTestRelay(options: RelayOptions = {}): Promise<Relay> {
  const tmp = mkdtempSync(join(tmpdir(), 'vc-relay-test-'));
  const relay = await startRelay({
    port: 0,
    host: '127.0.0.1',
    demoDir: join(tmp, 'demo'),
    distDir: join(tmp, 'dist'),
    shutdownTimeoutMs: 1000,
    // Short, so departures after a dropped connection arrive within the tests' waits (after the grace, as in production).
    resumeGraceMs: 250,
    ...options,
  });
  const close = relay.close.bind(relay);
  return {
    ...relay,
    close: async () => {
      await close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = WAIT_MS, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface CloseInfo {
  code: number;
  reason: string;
}

let clientCount = 0;

/**
 * The resume secret behind each resume token any TestClient was given: what the
 * page that received the token keeps, so a TestClient standing for that page
 * after a reconnect can prove the resume. A thief passes its own `resumeProof`.
 */
const secretOfToken = new Map<string, Uint8Array>();

/** The secret a resume with `token` reveals, as the page it was issued to would (tests of theft pass their own). */
export function resumeSecretOf(token: string): Uint8Array | undefined {
  return secretOfToken.get(token);
}

/** A client speaking the protocol to a relay. */
export class TestClient {
  /** Envelopes received and not yet taken by {@link next}. */
  readonly inbox: DecodedEnvelope[] = [];
  /** Messages received, for counting. */
  received = 0;
  /** The size in bytes of each message received, in order. */
  readonly sizes: number[] = [];
  /** The session id from `Welcome`, once joined. */
  id = '';
  readonly label: string;
  private waiters: (() => void)[] = [];
  /** The secret this connection's Join committed to (`resume_key`), proving later resumes. */
  private resumeSecret: Uint8Array | undefined;
  private closeInfo: CloseInfo | undefined;
  private readonly closedPromise: Promise<CloseInfo>;

  private constructor(
    readonly ws: WebSocket,
    label?: string,
  ) {
    this.label = label ?? `client${++clientCount}`;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.received++;
      this.sizes.push(data.length);
      if (!isBinary) throw new Error('relay sent a text message');
      const envelope = decodeEnvelope(data);
      const token = envelope.welcome?.resumeToken || envelope.pong?.resumeToken;
      if (token && this.resumeSecret) secretOfToken.set(token, this.resumeSecret);
      this.inbox.push(envelope);
      this.wake();
    });
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    ws.on('error', () => {}); // surfaced through close
  }

  static async connect(url: string, label?: string): Promise<TestClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connecting to ${url} timed out`)), WAIT_MS);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return new TestClient(ws, label);
  }

  /** Connects and joins `room`; resolves with the `Welcome`. */
  static async joined(
    relay: Pick<Relay, 'wsUrl'>,
    room: string,
    name?: string,
    join: Partial<JoinInit> = {},
  ): Promise<TestClient> {
    const client = await TestClient.connect(relay.wsUrl, name);
    await client.join(room, name, join);
    return client;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(message: EnvelopeInit): void {
    this.ws.send(encodeEnvelope(message));
  }

  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  /**
   * Joins `room`. Like the element, commits to a fresh resume secret (`resume_key`)
   * and, resuming, reveals the one behind `join.resumeToken` unless `join` gives a proof.
   */
  async join(room: string, name = this.label, join: Partial<JoinInit> = {}): Promise<Received<'welcome'>> {
    this.send({ join: this.joinMessage(room, name, join) });
    const welcome = await this.next('welcome');
    this.id = welcome.welcome.sessionId ?? '';
    return welcome;
  }

  /** The Join {@link join} sends, with its resume key and proof, for tests that send it themselves. */
  joinMessage(room: string, name = this.label, join: Partial<JoinInit> = {}): JoinInit {
    const secret = randomBytes(32);
    this.resumeSecret = secret;
    const resumeProof = join.resumeToken ? secretOfToken.get(join.resumeToken) : undefined;
    return {
      protocolVersion: PROTOCOL_VERSION,
      room,
      name,
      resumeKey: createHash('sha256').update(secret).digest(),
      ...(resumeProof ? { resumeProof } : {}),
      ...join,
    };
  }

  /** Sends a media frame whose payload is `tag` (UTF-8) padded to `size` bytes. */
  sendMedia(tag: string, frame: Partial<MediaFrameInit> = {}, size = 0): void {
    const payload = new Uint8Array(Math.max(size, tag.length));
    payload.set(new TextEncoder().encode(tag));
    this.send({ media: { kind: TrackKind.VIDEO, sequence: 1, timestamp: 0, ...frame, payload } });
  }

  /** The next received envelope carrying `type` (others stay in the inbox). */
  async next<K extends BodyKind>(type: K, timeoutMs = WAIT_MS): Promise<Received<K>> {
    const found = await this.waitUntil(() => this.take(type), timeoutMs, `"${type}"`);
    return found as Received<K>;
  }

  /** The next media frame whose payload starts with `tag`. */
  async nextMedia(tag: string, timeoutMs = WAIT_MS): Promise<Received<'media'>> {
    const found = await this.waitUntil(
      () => this.take('media', (e) => payloadText(e).startsWith(tag)),
      timeoutMs,
      `media "${tag}"`,
    );
    return found as Received<'media'>;
  }

  /** Waits `ms` and fails if an envelope of `type` (matching `filter`) arrived or was waiting. */
  async expectNone(type: BodyKind, ms = 200, filter: (e: DecodedEnvelope) => boolean = () => true): Promise<void> {
    await sleep(ms);
    const hit = this.inbox.find((e) => e.body === type && filter(e));
    if (hit) throw new Error(`${this.label} received an unexpected "${type}": ${JSON.stringify(hit)}`);
  }

  /** Resolves with the close code and reason; rejects after `timeoutMs`. */
  async closed(timeoutMs = WAIT_MS): Promise<CloseInfo> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.label}: connection not closed after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops reading from the socket, so the relay's buffers for this client fill up. */
  pauseReading(): void {
    this.socket().pause();
  }

  resumeReading(): void {
    this.socket().resume();
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }

  /** Drops the TCP connection without a closing handshake. */
  terminate(): void {
    this.ws.terminate();
  }

  private socket(): { pause(): void; resume(): void } {
    // `_socket` is ws's internal net.Socket; pausing it is the simplest way to stop reading.
    return (this.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  }

  private take(type: BodyKind, filter: (e: DecodedEnvelope) => boolean = () => true): DecodedEnvelope | undefined {
    const i = this.inbox.findIndex((e) => e.body === type && filter(e));
    return i < 0 ? undefined : this.inbox.splice(i, 1)[0];
  }

  private async waitUntil<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      // Once closed nothing more arrives: fail at once rather than at the deadline.
      if (left <= 0 || this.closeInfo) {
        const seen = this.inbox.map((e) => e.body).join(', ') || 'nothing';
        const closed = this.closeInfo ? `; closed ${this.closeInfo.code} ${this.closeInfo.reason}` : '';
        throw new Error(`${this.label}: no ${what} within ${timeoutMs} ms (inbox: ${seen}${closed})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export function payloadText(e: DecodedEnvelope): string {
  const payload = e.media?.payload;
  return payload ? Buffer.from(payload).toString('utf8').replace(/\0+$/, '') : '';
}
