/**
 * Records a room: joins through the CLI's {@link RoomClient} as a participant
 * that publishes nothing, subscribes to every publisher's best camera and
 * screen layer, has the client decrypt (with E2EE) the way the element does,
 * and writes each participant's audio, camera and screen to their own WebM
 * file. Late joiners, and people who rejoin, get new files; a leaver's files
 * are finished at once. Stops on {@link RoomRecorder.stop} (signals), after
 * `seconds`, when the room empties, or on a fatal error; every file is
 * finished before {@link RoomRecorder.run} resolves.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EncodedMedia } from '../../src/codec/encoded-media.js';
import { keyExchangeFromWire } from '../../src/call/key-exchange-wire.js';
import { MediaCrypto } from '../../src/call/media-crypto.js';
import type { CliTransport } from '../client/node-transport.js';
import { RoomClient, type Peer } from '../client/room-client.js';
import { CliError, E2eeRequiredError } from '../errors.js';
import { matroskaTrackFor, TrackRecording, type TrackName, type TrackSummary } from './track-recording.js';

/** Ask a publisher for a keyframe at most this often while its track waits for one. */
const KEYFRAME_RETRY_MS = 1000;
/** How long encrypted video seen without E2EE waits for a key exchange to say whether a passphrase is needed. */
const KEY_EXCHANGE_WAIT_MS = 3000;
/**
 * How long a room emptied by anything but a goodbye (everyone dropped at once
 * by a relay restart, a last participant's crash) is given for someone to
 * come back before the recording ends as `room-empty`.
 */
export const ROOM_EMPTY_GRACE_MS = 15_000;

export interface RoomRecorderOptions {
  server: string;
  room: string;
  /** An existing, writable directory. */
  out: string;
  token?: string;
  /** Display name others see (unless the token is `hidden`). */
  name: string;
  /** The token makes us hidden: nobody knows we are here (no key exchange possible). */
  hidden?: boolean;
  /** Decrypt media: the call runs with E2EE. */
  e2ee: boolean;
  /** The room passphrase (with `e2ee`); absent for safety-code E2EE. */
  passphrase?: string;
  /** How to reach the relay. Default websocket. */
  transport?: CliTransport;
  /** Stop after this many seconds; undefined: until stopped or the room empties. */
  seconds?: number;
  /** Where progress lines go. */
  log: (line: string) => void;
  ffmpeg?: string;
}

/** Why a recording ended. */
export type StopReason = 'stopped' | 'room-empty' | 'time-up' | 'error';

/** What `recording.json` in the output directory says. */
export interface RecordingManifest {
  room: string;
  startedAt: string;
  endedAt: string;
  reason: StopReason;
  files: TrackSummary[];
  /** Frames dropped: undecryptable, waiting for a keyframe, another layer's, or an unsupported codec. */
  dropped: Record<string, number>;
}

/** What the recorder keeps per participant (per session: someone who rejoins is a new one). */
interface Recorded {
  peer: Peer;
  tracks: Map<TrackName, TrackRecording>;
  /** When we last asked it for a keyframe, per track. */
  askedAt: Map<TrackName, number>;
  /** Files opened per track; a track that starts again opens `-2`, `-3`… */
  fileCount: Map<TrackName, number>;
}

/** A VP8 keyframe carries the start code 9d 01 2a after its 3-byte frame tag (RFC 6386 §9.1). */
function isVp8Keyframe(data: Uint8Array): boolean {
  return data.length > 6 && (data[0]! & 1) === 0 && data[3] === 0x9d && data[4] === 0x01 && data[5] === 0x2a;
}

function safeName(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9_-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'participant'
  );
}

export class RoomRecorder {
  private readonly client: RoomClient;
  /** Without E2EE: only finds out whether the call is encrypted after all (see startProbe). */
  private probe: MediaCrypto | null = null;
  private readonly recorded = new Map<string, Recorded>();
  private readonly finished: TrackSummary[] = [];
  private readonly finishing: Promise<void>[] = [];
  private readonly dropped: Record<string, number> = {};
  private readonly warned = new Set<string>();
  private sawSomeone = false;
  /** Set while the room is empty for a reason other than a goodbye: ends the recording if nobody comes back. */
  private emptyTimer: NodeJS.Timeout | undefined;
  /** Encrypted video seen without E2EE: ends the recording unless the key exchange says more first. */
  private encryptedTimer: NodeJS.Timeout | undefined;
  /** Set once the recording ends: a frame still being decrypted then opens no new file. */
  private ending = false;
  /** Whether some peer's keys ever verified against our passphrase. */
  private everVerified = false;
  private stopResolve: ((r: { reason: StopReason; error: CliError | null }) => void) | null = null;
  private readonly stopped: Promise<{ reason: StopReason; error: CliError | null }>;
  private startedAt = new Date();

  constructor(private readonly options: RoomRecorderOptions) {
    this.stopped = new Promise((resolve) => (this.stopResolve = resolve));
    const o = options;
    this.client = new RoomClient(
      {
        server: o.server,
        room: o.room,
        name: o.name,
        e2ee: o.e2ee,
        transport: o.transport ?? 'websocket',
        ...(o.token ? { token: o.token } : {}),
        ...(o.passphrase ? { passphrase: o.passphrase } : {}),
        state: () => ({ mic: false, camera: false }),
        // What a WebM file holds: a publisher choosing H.264 is told nobody records it.
        decoders: ['vp8', 'vp9', 'av1'],
      },
      {
        peerJoined: (peer) => this.addPeer(peer),
        peerLeft: (peer, reason) => this.removePeer(peer, reason),
        peerUpdated: () => this.subscribe(),
        media: (peer, media) => this.write(peer, media),
        securityChanged: (peer, security) => {
          if (security.status === 'verified') this.everVerified = true;
          if (security.status === 'mismatch') this.keysMismatch(peer.name || peer.id);
        },
        envelope: (env) => {
          if (env.body !== 'keyExchange' || !env.keyExchange) return;
          // Only a COMMIT or REVEAL says whether keys are bound to a passphrase (its MAC); the probe
          // answers a RESTART (or a key request) with the COMMIT that makes the peer send one.
          const step = keyExchangeFromWire(env.keyExchange)?.step;
          if (!o.e2ee && (step === 'commit' || step === 'reveal'))
            this.encryptedAfterAll((env.keyExchange.mac?.length ?? 0) > 0);
          this.probe?.receiveKeyExchange(env.from, env.keyExchange);
        },
        reconnecting: (attempt, reason) => o.log(`relay lost (${reason}); reconnecting, attempt ${attempt}`),
        reconnected: (resumed) => o.log(`back on the relay (${resumed ? 'resumed' : 'rejoined as new'})`),
        warning: (error) => {
          if (error.code === 'e2ee-key-mismatch') this.keysMismatch('Someone in the call');
          else this.warnOnce(error.message);
        },
        failed: (error) => this.stop('error', error),
      },
    );
  }

  /** Asks the recording to end (a signal): files are finished, then {@link run} resolves. */
  stop(reason: StopReason = 'stopped', error: CliError | null = null): void {
    this.stopResolve?.({ reason, error });
    this.stopResolve = null;
  }

  /** Joins, records until stopped, finishes every file and writes the manifest. Throws a fatal {@link CliError}. */
  async run(): Promise<RecordingManifest> {
    const o = this.options;
    await this.client.join();
    this.startedAt = new Date();
    if (!o.e2ee && !o.hidden) this.startProbe();
    this.subscribe();
    const timer = o.seconds !== undefined ? setTimeout(() => this.stop('time-up'), o.seconds * 1000) : undefined;
    o.log(`recording room ${o.room} into ${o.out}${o.e2ee ? ' (end-to-end encrypted)' : ''}`);
    const { reason, error } = await this.stopped;
    this.ending = true;
    clearTimeout(timer);
    clearTimeout(this.encryptedTimer);
    clearTimeout(this.emptyTimer);
    this.client.leave();
    this.probe?.close();
    for (const r of this.recorded.values()) this.finishTracks(r);
    await Promise.all(this.finishing);
    const undecryptable = this.client.stats.framesUndecryptable;
    if (undecryptable > 0) this.dropped['undecryptable'] = undecryptable;
    const manifest: RecordingManifest = {
      room: o.room,
      startedAt: this.startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      reason,
      files: this.finished,
      dropped: this.dropped,
    };
    await writeFile(join(o.out, 'recording.json'), JSON.stringify(manifest, null, 2) + '\n');
    for (const f of this.finished) if (f.error) o.log(`warning: ${f.error}`);
    if (error) throw error;
    return manifest;
  }

  /**
   * Without E2EE, a key exchange without keys: where we start the handshake,
   * our COMMIT makes an encrypting peer answer, and its answer (or its own
   * COMMIT) tells us the call is encrypted, instead of writing ciphertext to files.
   */
  private startProbe(): void {
    this.probe = MediaCrypto.start(this.options.room, this.client.sessionId, null, {
      sendControl: (message) => this.client.sendControl(message),
      keyframeNeeded: () => undefined,
      requestKeyframeFrom: () => undefined,
      securityChanged: () => undefined,
      error: () => undefined,
    });
    for (const id of this.recorded.keys()) this.probe.peerJoined(id);
  }

  /** Key exchange reaching a recorder that was told the call is not encrypted. */
  private encryptedAfterAll(withPassphrase: boolean): void {
    this.stop(
      'error',
      withPassphrase
        ? new CliError(
            'wrong-passphrase',
            'The call is end-to-end encrypted with a passphrase and none was given: record with --passphrase.',
          )
        : new E2eeRequiredError('The call is end-to-end encrypted (without a passphrase): record with --e2ee.'),
    );
  }

  /** A peer's keys did not verify against our passphrase. */
  private keysMismatch(who: string): void {
    // Someone else's keys verified: this one peer uses another passphrase; the rest is recorded.
    if (this.everVerified) return this.warnOnce(`${who} uses another passphrase: not recorded`);
    this.stop(
      'error',
      new CliError(
        'wrong-passphrase',
        `${who} uses another passphrase than --passphrase (or none, or the relay tampered with ` +
          'the keys): its media cannot be decrypted. Record with the passphrase the call uses.',
      ),
    );
  }

  private addPeer(peer: Peer): void {
    if (this.recorded.has(peer.id)) return;
    this.sawSomeone = true;
    clearTimeout(this.emptyTimer);
    this.emptyTimer = undefined;
    this.recorded.set(peer.id, { peer, tracks: new Map(), askedAt: new Map(), fileCount: new Map() });
    this.probe?.peerJoined(peer.id);
    this.options.log(`${peer.name || peer.id} is in the room`);
    this.subscribe();
  }

  private removePeer(peer: Peer, reason: string): void {
    const r = this.recorded.get(peer.id);
    if (!r) return;
    this.recorded.delete(peer.id);
    this.probe?.peerLeft(peer.id);
    this.finishTracks(r);
    this.options.log(`${peer.name || peer.id} left${reason === 'left' ? '' : ` (${reason})`}`);
    if (this.recorded.size > 0 || !this.sawSomeone) return this.subscribe();
    // The last one said goodbye: the call is over. Anyone else dropped (a crash, a relay restart
    // that has everyone rejoin as someone new) may be back in a moment: wait before ending.
    if (reason === 'left') return this.stop('room-empty');
    this.emptyTimer ??= setTimeout(() => {
      if (this.recorded.size === 0) this.stop('room-empty');
    }, ROOM_EMPTY_GRACE_MS);
  }

  /** Every publisher's largest camera and screen layer (index 0). */
  private subscribe(): void {
    this.client.subscribe(
      [...this.recorded.values()].flatMap(({ peer }) => [
        { publisher: peer.id, layer: 0 },
        ...(peer.state.screen ? [{ publisher: peer.id, layer: 0, kind: 'screen' as const }] : []),
      ]),
    );
  }

  private askKeyframe(r: Recorded, track: 'video' | 'screen'): void {
    const last = r.askedAt.get(track) ?? -Infinity;
    if (Date.now() - last < KEYFRAME_RETRY_MS) return;
    r.askedAt.set(track, Date.now());
    this.client.requestKeyframe(r.peer.id, 0, track);
  }

  private drop(why: string): void {
    this.dropped[why] = (this.dropped[why] ?? 0) + 1;
  }

  private write(peer: Peer, media: EncodedMedia): void {
    if (this.ending) return;
    const r = this.recorded.get(peer.id);
    if (!r) return this.drop('unknown-sender');
    const track = media.kind;
    let recording = r.tracks.get(track);
    if (recording?.add(media) === false) return this.drop('other-layer');
    if (recording) return;
    // Opus packets (a microphone's, a screen share's audio) each decode alone.
    if ((track === 'video' || track === 'screen') && !media.keyframe) {
      this.askKeyframe(r, track);
      return this.drop('before-keyframe');
    }
    const matroska = matroskaTrackFor(media);
    if (typeof matroska === 'string') {
      this.warnOnce(`${peer.name}: ${track} not recorded: ${matroska}`);
      return this.drop('unsupported-codec');
    }
    if (!this.options.e2ee && matroska.codecId === 'V_VP8' && !isVp8Keyframe(media.data)) {
      // Ciphertext where a picture should be: the call is encrypted after all. A visible recorder
      // waits a moment for the key exchange, which also says whether a passphrase is needed.
      this.drop('encrypted');
      if (this.encryptedTimer) return;
      const error = new E2eeRequiredError(
        `${peer.name}'s video is end-to-end encrypted: record with --passphrase or --e2ee.`,
      );
      if (!this.probe) return this.stop('error', error);
      this.encryptedTimer = setTimeout(() => this.stop('error', error), KEY_EXCHANGE_WAIT_MS);
      return;
    }
    const n = (r.fileCount.get(track) ?? 0) + 1;
    r.fileCount.set(track, n);
    const base = `${safeName(peer.name)}-${peer.id.slice(0, 8)}-${track}${n > 1 ? `-${n}` : ''}.webm`;
    recording = new TrackRecording(
      peer.id,
      peer.name,
      track,
      join(this.options.out, base),
      media,
      matroska,
      this.options.ffmpeg,
    );
    r.tracks.set(track, recording);
    recording.add(media);
    this.options.log(`${peer.name}: ${track} → ${base}`);
  }

  private finishTracks(r: Recorded): void {
    for (const recording of r.tracks.values()) {
      this.finishing.push(recording.finish().then((summary) => void this.finished.push(summary)));
    }
    r.tracks.clear();
  }

  private warnOnce(line: string): void {
    if (this.warned.has(line)) return;
    this.warned.add(line);
    this.options.log(`warning: ${line}`);
  }
}
