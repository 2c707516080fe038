/**
 * Records a room: joins as a participant that publishes nothing, subscribes to
 * every publisher's best layer, decrypts (with E2EE) the way the element does
 * and writes each participant's audio, camera and screen to their own WebM
 * file. Late joiners get new files; a leaver's files are finished at once.
 * Stops on {@link stop} (signals), after `seconds`, when the room empties, or
 * on a fatal error; every file is finished before {@link run} resolves.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaCrypto } from '../../src/call/media-crypto.js';
import type { RoomSecret } from '../../src/e2ee/index.js';
import {
  TrackKind,
  type DecodedEnvelope,
  type MediaFrameInit,
  type MediaStateInit,
  type ParticipantInit,
} from '../../src/protocol/index.js';
import { CliError } from '../client/cli-error.js';
import { RelaySession } from '../client/relay-session.js';
import { matroskaTrackFor, trackName, TrackRecording, type TrackName, type TrackSummary } from './track-recording.js';

/** Ask a publisher for a keyframe at most this often while its track waits for one. */
const KEYFRAME_RETRY_MS = 1000;

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
  /** The room passphrase, already stretched (with `e2ee`); null for safety-code E2EE. */
  roomSecret: RoomSecret | null;
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

interface Peer {
  id: string;
  name: string;
  state: MediaStateInit | null | undefined;
  tracks: Map<TrackName, TrackRecording>;
  /** When we last asked it for a keyframe, per track. */
  askedAt: Map<TrackName, number>;
  /** Files that ended; a later frame of the same track opens `-2`, `-3`… */
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
  private session: RelaySession | null = null;
  private crypto: MediaCrypto | null = null;
  /** Without E2EE: only finds out whether the call is encrypted after all (see startProbe). */
  private probe: MediaCrypto | null = null;
  private readonly peers = new Map<string, Peer>();
  private readonly finished: TrackSummary[] = [];
  private readonly finishing: Promise<void>[] = [];
  private readonly dropped: Record<string, number> = {};
  private readonly warned = new Set<string>();
  private sawSomeone = false;
  private stopResolve: ((r: { reason: StopReason; error: CliError | null }) => void) | null = null;
  private readonly stopped: Promise<{ reason: StopReason; error: CliError | null }>;
  private startedAt = new Date();

  constructor(private readonly options: RoomRecorderOptions) {
    this.stopped = new Promise((resolve) => (this.stopResolve = resolve));
  }

  /** Asks the recording to end (a signal): files are finished, then {@link run} resolves. */
  stop(reason: StopReason = 'stopped', error: CliError | null = null): void {
    this.stopResolve?.({ reason, error });
    this.stopResolve = null;
  }

  /** Joins, records until stopped, finishes every file and writes the manifest. Throws a fatal {@link CliError}. */
  async run(): Promise<RecordingManifest> {
    const o = this.options;
    this.session = await RelaySession.join({ server: o.server, room: o.room, name: o.name, token: o.token }, (env) =>
      this.onMessage(env),
    );
    this.startedAt = new Date();
    this.session.onClose((error) => this.stop(error ? 'error' : 'stopped', error));
    const timer = o.seconds !== undefined ? setTimeout(() => this.stop('time-up'), o.seconds * 1000) : undefined;
    o.log(`recording room ${o.room} into ${o.out}${o.e2ee ? ' (end-to-end encrypted)' : ''}`);
    const { reason, error } = await this.stopped;
    clearTimeout(timer);
    await this.session.leave();
    this.crypto?.close();
    this.probe?.close();
    for (const peer of this.peers.values()) this.finishTracks(peer);
    await Promise.all(this.finishing);
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

  private onMessage(env: DecodedEnvelope): void {
    const from = env.from ?? '';
    switch (env.body) {
      case 'welcome':
        if (this.options.e2ee) this.startCrypto(env.welcome!.sessionId ?? '');
        else if (!this.options.hidden) this.startProbe(env.welcome!.sessionId ?? '');
        for (const p of env.welcome!.roster ?? []) this.addPeer(p);
        this.subscribe();
        break;
      case 'peerJoined':
        if (env.peerJoined!.participant) this.addPeer(env.peerJoined!.participant);
        this.subscribe();
        break;
      case 'peerLeft':
        this.removePeer(env.peerLeft!.id ?? '');
        break;
      case 'mediaState': {
        const peer = this.peers.get(from);
        if (peer) peer.state = env.mediaState;
        this.subscribe();
        break;
      }
      case 'keyExchange':
        this.onKeyExchange(from, env);
        break;
      case 'media':
        this.onMedia(from, env.media!);
        break;
      case 'error':
        if (!env.error!.fatal) this.warnOnce(`relay: ${env.error!.code}: ${env.error!.message}`);
        break;
      default:
        break;
    }
  }

  private startCrypto(sessionId: string): void {
    this.crypto = MediaCrypto.start(this.options.room, sessionId, this.options.roomSecret, {
      sendControl: (message) => this.session?.send(message),
      keyframeNeeded: () => undefined, // we send no media
      requestKeyframeFrom: (peerId) => {
        const peer = this.peers.get(peerId);
        if (peer) for (const track of ['video', 'screen'] as const) this.askKeyframe(peer, track, true);
      },
      securityChanged: () => undefined,
      error: (error) => {
        if (error.code !== 'e2ee-key-mismatch') return this.warnOnce(error.message);
        this.stop(
          'error',
          new CliError(
            'wrong-passphrase',
            'The call uses another passphrase than --passphrase (or none, or the relay tampered with the keys): ' +
              'its media cannot be decrypted. Record with the passphrase the call uses.',
            { cause: error },
          ),
        );
      },
    });
  }

  /**
   * Without E2EE, a key exchange without keys: where we start the handshake,
   * our COMMIT makes an encrypting peer answer, and its answer (or its own
   * COMMIT) tells us the call is encrypted, instead of writing ciphertext to files.
   */
  private startProbe(sessionId: string): void {
    this.probe = MediaCrypto.start(this.options.room, sessionId, null, {
      sendControl: (message) => this.session?.send(message),
      keyframeNeeded: () => undefined,
      requestKeyframeFrom: () => undefined,
      securityChanged: () => undefined,
      error: () => undefined,
    });
  }

  /** Key exchange reaching a recorder that was told the call is not encrypted. */
  private onKeyExchange(from: string, env: DecodedEnvelope): void {
    if (this.crypto) return this.crypto.receiveKeyExchange(from, env.keyExchange!);
    const withPassphrase = (env.keyExchange!.mac?.length ?? 0) > 0;
    this.stop(
      'error',
      withPassphrase
        ? new CliError(
            'wrong-passphrase',
            'The call is end-to-end encrypted with a passphrase and none was given: record with --passphrase.',
          )
        : new CliError('e2ee-required', 'The call is end-to-end encrypted (without a passphrase): record with --e2ee.'),
    );
  }

  private addPeer(p: ParticipantInit): void {
    const id = p.id ?? '';
    if (!id || id === this.session?.sessionId || this.peers.has(id)) return;
    this.sawSomeone = true;
    this.peers.set(id, {
      id,
      name: p.name || id,
      state: p.state,
      tracks: new Map(),
      askedAt: new Map(),
      fileCount: new Map(),
    });
    this.crypto?.peerJoined(id);
    this.probe?.peerJoined(id);
    this.options.log(`${p.name || id} is in the room`);
  }

  private removePeer(id: string): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    this.crypto?.peerLeft(id);
    this.probe?.peerLeft(id);
    this.finishTracks(peer);
    this.options.log(`${peer.name} left`);
    if (this.peers.size === 0 && this.sawSomeone) this.stop('room-empty');
    else this.subscribe();
  }

  /** Every publisher's largest camera and screen layer (index 0). */
  private subscribe(): void {
    const tracks = [...this.peers.values()].flatMap((p) => [
      { publisher: p.id, kind: TrackKind.VIDEO, layer: 0 },
      ...(p.state?.screen ? [{ publisher: p.id, kind: TrackKind.SCREEN, layer: 0 }] : []),
    ]);
    this.session?.send({ subscription: { tracks } });
  }

  private askKeyframe(peer: Peer, track: TrackName, now = false): void {
    if (track === 'audio') return;
    const last = peer.askedAt.get(track) ?? -Infinity;
    if (!now && Date.now() - last < KEYFRAME_RETRY_MS) return;
    peer.askedAt.set(track, Date.now());
    const kind = track === 'screen' ? TrackKind.SCREEN : TrackKind.VIDEO;
    this.session?.send({ keyframeRequest: { target: peer.id, kind, layer: 0 } });
  }

  private drop(why: string): void {
    this.dropped[why] = (this.dropped[why] ?? 0) + 1;
  }

  private onMedia(from: string, frame: MediaFrameInit): void {
    const peer = this.peers.get(from);
    const track = trackName(frame.kind);
    if (!peer || !track) return this.drop('unknown-sender');
    if (!this.crypto) return this.write(peer, track, frame, frame.payload ?? new Uint8Array(0));
    this.crypto.decrypt(from, frame).then(
      (data) => this.write(peer, track, frame, data),
      () => {
        this.drop('undecryptable');
        // Frames we cannot read yet: the key may follow, and with it a keyframe we ask for then.
      },
    );
  }

  private write(peer: Peer, track: TrackName, frame: MediaFrameInit, data: Uint8Array): void {
    if (!this.peers.has(peer.id)) return; // left while its frame was decrypted
    let recording = peer.tracks.get(track);
    if (recording?.add(frame, data) === false) return this.drop('other-layer');
    if (recording) return;
    if (track !== 'audio' && !frame.keyframe) {
      this.askKeyframe(peer, track);
      return this.drop('before-keyframe');
    }
    const matroska = matroskaTrackFor(frame, data);
    if (typeof matroska === 'string') {
      this.warnOnce(`${peer.name}: ${track} not recorded: ${matroska}`);
      return this.drop('unsupported-codec');
    }
    if (!this.crypto && matroska.type === 'video' && matroska.codecId === 'V_VP8' && !isVp8Keyframe(data)) {
      // Ciphertext where a picture should be: the call is encrypted after all (a hidden recorder can't know otherwise).
      return this.stop(
        'error',
        new CliError(
          'e2ee-required',
          `${peer.name}'s video is end-to-end encrypted: record with --passphrase or --e2ee.`,
        ),
      );
    }
    const n = (peer.fileCount.get(track) ?? 0) + 1;
    peer.fileCount.set(track, n);
    const base = `${safeName(peer.name)}-${peer.id.slice(0, 8)}-${track}${n > 1 ? `-${n}` : ''}.webm`;
    recording = new TrackRecording(
      peer.id,
      peer.name,
      track,
      join(this.options.out, base),
      frame,
      matroska,
      this.options.ffmpeg,
    );
    peer.tracks.set(track, recording);
    recording.add(frame, data);
    this.options.log(`${peer.name}: ${track} → ${base}`);
  }

  private finishTracks(peer: Peer): void {
    for (const recording of peer.tracks.values()) {
      this.finishing.push(recording.finish().then((summary) => void this.finished.push(summary)));
    }
    peer.tracks.clear();
  }

  private warnOnce(line: string): void {
    if (this.warned.has(line)) return;
    this.warned.add(line);
    this.options.log(`warning: ${line}`);
  }
}
