import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { styleMap } from 'lit/directives/style-map.js';
import { asVideoCallError, VideoCallError } from '../call/errors.js';
import type { ParticipantInfo, RemoteParticipant } from '../call/remote-participant.js';
import { Room, type RoomState, type TransportChoice } from '../call/room.js';
import type {
  ParticipantEvent,
  ParticipantLeftEvent,
  RoomErrorEvent,
  RoomJoinedEvent,
  RoomLeftEvent,
  RoomReconnectedEvent,
  RoomReconnectingEvent,
} from '../call/events.js';
import type { VideoCodecName } from '../codec/codec-support.js';
import { bestGrid, type GridLayout } from '../layout/tile-grid.js';
import { VideoRenderer } from '../render/video-renderer.js';
import {
  VcErrorEvent,
  VcJoinedEvent,
  VcLeftEvent,
  VcParticipantJoinedEvent,
  VcParticipantLeftEvent,
  VcReconnectedEvent,
  VcReconnectingEvent,
} from './events.js';
import { cameraIcon, cameraOffIcon, lockIcon, lockOpenIcon, micIcon, micOffIcon } from './icons.js';
import { passphraseFromFragment } from '../e2ee/key-exchange.js';
import { styles } from './styles.js';

/** A level above this (0..1, RMS of played audio) lights a tile's speaking ring. */
const SPEAKING_LEVEL = 0.02;

/** Where the bundle was loaded from: the default relay. */
const SCRIPT_BASE = new URL('.', import.meta.url).href;

/**
 * A whole video call in one element: camera and microphone, the relay
 * connection, every remote participant's video and audio, and the controls.
 *
 * ```html
 * <script type="module" src="https://relay.example/videocall-room.js"></script>
 * <videocall-room room="standup" name="Ada"></videocall-room>
 * ```
 *
 * @fires vc-joined - {@link VcJoinedEvent} the room was joined
 * @fires vc-participant-joined - {@link VcParticipantJoinedEvent} someone joined
 * @fires vc-participant-left - {@link VcParticipantLeftEvent} someone left
 * @fires vc-left - {@link VcLeftEvent} this element left the room
 * @fires vc-error - {@link VcErrorEvent} something went wrong; `code` says what
 * @fires vc-reconnecting - {@link VcReconnectingEvent} the relay was lost; trying to get one back (each attempt)
 * @fires vc-reconnected - {@link VcReconnectedEvent} back in the call after `vc-reconnecting`
 *
 * @csspart stage - the area holding the tiles
 * @csspart grid - the tile grid
 * @csspart tile - one participant's tile (also `tile-local`, `tile-remote`, `speaking`)
 * @csspart video - the video inside a tile
 * @csspart avatar - the initials shown when a camera is off
 * @csspart label - the name bar on a tile
 * @csspart indicator - a sign on a tile: `mic-off`, `camera-off`, `lock` (with `verified`, `unverified`, `pending`, `mismatch`, `self`)
 * @csspart safety-code - the code to compare aloud with an unverified peer (E2EE without a passphrase)
 * @csspart cant-decrypt - what a tile shows instead of media that does not decrypt
 * @csspart controls - the control bar
 * @csspart control - each control button (also `mic-button`, `camera-button`, `leave-button`)
 * @csspart notice - a passing message (also `error`, and `reconnecting` for the banner shown while reconnecting)
 * @csspart overlay - what covers the call when it is not running (connecting, ended, click to hear)
 * @csspart action - a button on the overlay
 *
 * @cssprop --vc-background - background of the element
 * @cssprop --vc-tile-background - background of a tile without video
 * @cssprop --vc-text - text colour
 * @cssprop --vc-muted-text - secondary text colour
 * @cssprop --vc-accent - focus and action colour
 * @cssprop --vc-danger - muted and leave colour
 * @cssprop --vc-speaking - the ring around whoever speaks
 * @cssprop --vc-radius - corner radius
 * @cssprop --vc-gap - space between tiles
 * @cssprop --vc-font - font family
 * @cssprop --vc-control-size - size of the control buttons
 */
export class VideocallRoomElement extends LitElement {
  static override styles = styles;

  /**
   * The relay's base URL (http, https, ws or wss), or several relays of one cluster
   * separated by spaces or commas: the first that answers is used, and when it is
   * lost the element moves to the next and resumes as the same participant.
   * Default: where this script was loaded from.
   */
  @property({ reflect: true }) server = '';
  /** The room to join: letters, digits, `-` and `_`, at most 64. The element joins once it has one. */
  @property({ reflect: true }) room = '';
  /** Your display name. */
  @property({ reflect: true }) name = '';
  /** `on` (default) or `off`: send camera video. */
  @property({ reflect: true }) camera: 'on' | 'off' = 'on';
  /** `on` (default) or `off`: send microphone audio. */
  @property({ reflect: true }) mic: 'on' | 'off' = 'on';
  /** Force a video codec (`vp8`, `vp9`, `av1`, `h264`); default: the best everyone can decode. */
  @property({ reflect: true }) codec: VideoCodecName | '' = '';
  /**
   * `auto` (default): WebTransport where the browser and relay have it, else WebSocket;
   * `websocket` or `webtransport` for only that one. {@link transportInUse} says which is used.
   */
  @property({ reflect: true }) transport: TransportChoice = 'auto';
  /** Access token, for relays that require one. */
  @property() token = '';
  /** Don't join by itself: the page calls {@link join}. */
  @property({ type: Boolean, reflect: true }) manual = false;
  /** Encrypt media end to end: the relay routes it but cannot read it. */
  @property({ type: Boolean, reflect: true }) e2ee = false;
  /**
   * Room passphrase for E2EE (turns `e2ee` on). Also read from the page URL's
   * fragment `#vc-key=…`, which browsers never send to any server.
   */
  @property() passphrase = '';

  /** `idle`, `connecting`, `joined`, `reconnecting` or `left`. */
  @state() private roomState: RoomState = 'idle';
  @state() private notice: { text: string; error: boolean } | null = null;
  @state() private endedBy: VideoCallError | null = null;
  @state() private layout: GridLayout = { columns: 1, rows: 1, tileWidth: 0, tileHeight: 0 };
  @query('[part~="stage"]') private stage!: HTMLElement;
  @query('video[part~="video"]') private selfView!: HTMLVideoElement | null;

  private current: Room | null = null;
  private readonly renderers = new Map<string, { canvas: HTMLCanvasElement; renderer: VideoRenderer }>();
  private resizeObserver: ResizeObserver | null = null;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  /** True while window listeners wait for a gesture to resume suspended audio. */
  private listeningForGesture = false;
  /** Errors already fired as `vc-error`, so a fatal one is not fired twice. */
  private readonly reported = new WeakSet<VideoCallError>();

  /** The remote participants, as a snapshot. */
  get participants(): ParticipantInfo[] {
    return this.current ? [...this.current.participants.values()].map((p) => p.toJSON()) : [];
  }

  /**
   * Where the call stands: `idle`, `connecting`, `joined`, `reconnecting` (the
   * relay was lost; the call goes on once one is back) or `left`.
   */
  get state(): RoomState {
    return this.roomState;
  }

  /** The transport the call runs on while joined (`websocket` or `webtransport`); null otherwise. */
  get transportInUse(): 'websocket' | 'webtransport' | null {
    return this.roomState === 'joined' ? (this.current?.transportKind ?? null) : null;
  }

  /** The headless room behind the element, for pages that need more than attributes. */
  get roomClient(): Room | null {
    return this.current;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver(() => this.relayout());
    if (!this.manual && this.room && this.roomState === 'idle') void this.join().catch(() => undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
    // A removed element must not keep the camera on.
    this.leave();
    this.listenForGesture();
  }

  /**
   * Joins `room`. Resolves once joined; rejects with a {@link VideoCallError}
   * (also reported as `vc-error`) when the call cannot start.
   */
  async join(): Promise<void> {
    if (this.current && (this.roomState === 'connecting' || this.inCall)) return;
    this.endedBy = null;
    this.notice = null;
    const room = new Room({
      server: this.server.trim() || SCRIPT_BASE,
      room: this.room,
      name: this.name || 'Guest',
      camera: this.camera !== 'off',
      mic: this.mic !== 'off',
      codec: this.codec || undefined,
      transport: this.transport,
      token: this.token || undefined,
      ...this.encryption(),
    });
    this.current = room;
    this.bind(room);
    this.roomState = 'connecting';
    try {
      await room.join();
    } catch (error) {
      const failure = asVideoCallError(error);
      if (this.current === room) this.end(failure);
      throw failure;
    }
  }

  /** Leaves the room and releases camera and microphone. */
  leave(): void {
    const room = this.current;
    if (!room || room.state === 'left') return;
    room.leave();
  }

  private bind(room: Room): void {
    // Events from a room this element already left behind (e.g. after `room` changed) are stale.
    const live =
      <E extends Event>(handler: (event: E) => void) =>
      (event: E) => {
        if (this.current === room) handler(event);
      };
    room.addEventListener(
      'joined',
      live((e: RoomJoinedEvent) => {
        this.roomState = 'joined';
        this.dispatchEvent(new VcJoinedEvent(this.room, e.sessionId, e.transport));
      }),
    );
    room.addEventListener(
      'participant-joined',
      live((e: ParticipantEvent) => {
        this.requestUpdate();
        this.dispatchEvent(new VcParticipantJoinedEvent(e.participant.toJSON()));
      }),
    );
    room.addEventListener(
      'participant-updated',
      live(() => this.requestUpdate()),
    );
    room.addEventListener(
      'participant-left',
      live((e: ParticipantLeftEvent) => {
        this.detachRenderer(e.participant.id);
        this.requestUpdate();
        this.dispatchEvent(new VcParticipantLeftEvent(e.participant.toJSON(), e.reason));
      }),
    );
    room.addEventListener(
      'local-media',
      live(() => this.requestUpdate()),
    );
    room.addEventListener(
      'reconnecting',
      live((e: RoomReconnectingEvent) => {
        this.roomState = 'reconnecting';
        this.dispatchEvent(new VcReconnectingEvent(e.attempt, e.server, e.reason));
      }),
    );
    room.addEventListener(
      'reconnected',
      live((e: RoomReconnectedEvent) => {
        this.roomState = 'joined';
        this.requestUpdate();
        this.dispatchEvent(new VcReconnectedEvent(e.resumed, e.sessionId, e.server, e.transport, e.downtimeMs));
      }),
    );
    room.addEventListener(
      'error',
      live((e: RoomErrorEvent) => this.report(e.error)),
    );
    room.addEventListener(
      'left',
      live((e: RoomLeftEvent) => this.end(e.error ?? null)),
    );
  }

  private report(error: VideoCallError): void {
    this.reported.add(error);
    this.dispatchEvent(new VcErrorEvent(error.code, error.message, error.fatal));
    if (error.fatal) return; // the overlay says it
    this.notice = { text: error.message, error: true };
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (this.notice = null), 8000);
  }

  private end(error: VideoCallError | null): void {
    if (this.roomState === 'left' && this.endedBy === error) return;
    const wasFatal = error?.fatal ?? false;
    this.roomState = 'left';
    this.endedBy = error;
    for (const id of [...this.renderers.keys()]) this.detachRenderer(id);
    // Errors raised by join() itself never went through the room's error event.
    if (error && wasFatal && !this.reported.has(error)) {
      this.reported.add(error);
      this.dispatchEvent(new VcErrorEvent(error.code, error.message, true));
    }
    this.dispatchEvent(new VcLeftEvent(error ? error.code : 'left'));
  }

  protected override firstUpdated(): void {
    if (this.stage) this.resizeObserver?.observe(this.stage);
    this.relayout();
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    this.followAttributes(changed);
    this.relayout();
    this.attachRenderers();
    this.attachSelfView();
    this.listenForGesture();
  }

  /**
   * Attribute changes after the element started: a new `room` moves the call
   * there, `mic` and `camera` switch the devices as the buttons do.
   */
  private followAttributes(changed: PropertyValues<this>): void {
    const room = this.current;
    const active = room && (this.roomState === 'connecting' || this.inCall);
    if (changed.has('room') && changed.get('room') !== undefined) {
      if (active) this.leave();
      if (!this.manual && this.room && this.isConnected) void this.join().catch(() => undefined);
      return;
    }
    if (!room || !this.inCall) return;
    if (changed.has('mic') && changed.get('mic') !== undefined && room.local.state.mic !== (this.mic !== 'off')) {
      void room.setMic(this.mic !== 'off').then(() => this.requestUpdate());
    }
    if (
      changed.has('camera') &&
      changed.get('camera') !== undefined &&
      room.local.state.camera !== (this.camera !== 'off')
    ) {
      void room.setCamera(this.camera !== 'off').then(() => this.requestUpdate());
    }
  }

  private relayout(): void {
    if (!this.stage) return;
    const style = getComputedStyle(this);
    const gap = parseFloat(style.getPropertyValue('--vc-gap')) || 8;
    const rect = this.stage.getBoundingClientRect();
    const next = bestGrid(this.tileCount(), rect.width - 2 * gap, rect.height - 2 * gap, 16 / 9, gap);
    if (
      next.columns !== this.layout.columns ||
      next.tileWidth !== this.layout.tileWidth ||
      next.tileHeight !== this.layout.tileHeight
    ) {
      this.layout = next;
    }
  }

  private tileCount(): number {
    return this.inCall ? 1 + (this.current?.participants.size ?? 0) : 1;
  }

  /** Joined, or reconnecting (tiles and controls stay while the relay is got back). */
  private get inCall(): boolean {
    return this.roomState === 'joined' || this.roomState === 'reconnecting';
  }

  private attachRenderers(): void {
    const room = this.current;
    if (!room) return;
    for (const participant of room.participants.values()) {
      const canvas = this.renderRoot.querySelector<HTMLCanvasElement>(`canvas[data-id="${participant.id}"]`);
      if (!canvas) continue;
      const existing = this.renderers.get(participant.id);
      if (existing?.canvas === canvas) continue;
      if (existing) existing.renderer.close();
      const renderer = new VideoRenderer(canvas);
      this.renderers.set(participant.id, { canvas, renderer });
      participant.setVideoSink((frame) => renderer.draw(frame));
    }
  }

  private detachRenderer(id: string): void {
    const entry = this.renderers.get(id);
    if (!entry) return;
    this.current?.participants.get(id)?.setVideoSink(null);
    entry.renderer.close();
    this.renderers.delete(id);
  }

  private attachSelfView(): void {
    const video = this.selfView;
    if (!video) return;
    const track = this.current?.local.videoTrack ?? null;
    const currentTrack = (video.srcObject as MediaStream | null)?.getVideoTracks()[0] ?? null;
    if (track === currentTrack) return;
    video.srcObject = track ? new MediaStream([track]) : null;
    if (track) void video.play().catch(() => undefined);
  }

  private toggleMic = (): void => {
    const room = this.current;
    if (!room) return;
    void room.setMic(!room.local.state.mic).then(() => {
      // Reflect the button into the attribute, so `mic` always says what is sent.
      this.mic = room.local.state.mic ? 'on' : 'off';
      this.requestUpdate();
    });
  };

  private toggleCamera = (): void => {
    const room = this.current;
    if (!room) return;
    void room.setCamera(!room.local.state.camera).then(() => {
      this.camera = room.local.state.camera ? 'on' : 'off';
      this.requestUpdate();
    });
  };

  private onLeaveClick = (): void => this.leave();
  private onRejoinClick = (): void => {
    void this.join().catch(() => undefined);
  };
  private onHearClick = (): void => {
    void this.current?.resumeAudio().then(() => this.requestUpdate());
  };

  /**
   * While audio waits for a gesture, any click or key press on the page (not only
   * our button) is one: resume then, so people who interact with the host page hear the call.
   */
  private listenForGesture(): void {
    const suspended = this.roomState === 'joined' && !!this.current?.audioSuspended;
    if (suspended === this.listeningForGesture) return;
    this.listeningForGesture = suspended;
    for (const type of ['pointerdown', 'keydown'] as const) {
      if (suspended) window.addEventListener(type, this.onPageGesture, { capture: true });
      else window.removeEventListener(type, this.onPageGesture, { capture: true });
    }
  }
  private onPageGesture = (): void => this.onHearClick();

  override render(): TemplateResult {
    const room = this.current;
    const joined = this.roomState === 'joined' && room;
    const inCall = this.inCall && room;
    const gridStyle = {
      gridTemplateColumns: `repeat(${this.layout.columns}, ${this.layout.tileWidth}px)`,
      gridAutoRows: `${this.layout.tileHeight}px`,
    };
    const remotes = inCall ? [...room.participants.values()] : [];
    return html`
      <div part="stage" data-transport=${(joined && room.transportKind) || nothing}>
        <div part="grid" style=${styleMap(gridStyle)}>
          ${this.renderLocalTile()}
          ${repeat(
            remotes,
            (p) => p.id,
            (p) => this.renderRemoteTile(p),
          )}
        </div>
        ${this.renderOverlay()} ${this.renderNotice()}
      </div>
      ${inCall ? this.renderControls(room) : nothing}
    `;
  }

  /** While reconnecting a standing banner says so (tiles stay); otherwise the passing notice, if any. */
  private renderNotice(): TemplateResult | typeof nothing {
    if (this.roomState === 'reconnecting') {
      return html`<div part="notice reconnecting" role="status">Reconnecting…</div>`;
    }
    const notice = this.notice;
    if (!notice) return nothing;
    const kind = notice.error ? 'error' : '';
    return html`<div part="notice ${kind}" class=${kind} role="status">${notice.text}</div>`;
  }

  private renderLocalTile(): TemplateResult {
    const local = this.current?.local;
    const cameraOn = !!local?.videoTrack;
    const micOn = local?.state.mic ?? false;
    const label = `${this.name || 'Guest'} (you)`;
    return html`<div part="tile tile-local" data-id="local" aria-label=${label}>
      <video part="video" muted playsinline autoplay ?hidden=${!cameraOn}></video>
      ${cameraOn ? nothing : html`<div part="avatar">${initials(this.name || 'Guest')}</div>`}
      <div part="label">
        ${micOn ? nothing : html`<span part="indicator mic-off" title="Microphone off">${micOffIcon}</span>`}
        ${
          this.current && this.current.encryption !== 'off'
            ? html`<span part="indicator lock self" title="Your media is end-to-end encrypted">${lockIcon}</span>`
            : nothing
        }
        <span>${label}</span>
      </div>
    </div>`;
  }

  /** E2EE settings from the attributes and the URL fragment. */
  private encryption(): { e2ee: boolean; passphrase?: string } {
    const passphrase = this.passphrase || passphraseFromFragment(globalThis.location?.hash ?? '') || undefined;
    return { e2ee: this.e2ee || !!passphrase, passphrase };
  }

  private renderSecurity(p: RemoteParticipant): TemplateResult | typeof nothing {
    switch (p.e2ee) {
      case 'off':
        return nothing;
      case 'verified':
        return html`<span part="indicator lock verified" title="End-to-end encrypted, verified">${lockIcon}</span>`;
      case 'unverified':
        return html`<span
          part="indicator lock unverified"
          title="End-to-end encrypted. Compare this code with ${p.name}"
          >${lockIcon}<span part="safety-code">${p.safetyCode}</span></span
        >`;
      case 'pending':
        return html`<span part="indicator lock pending" title="Exchanging keys…">${lockOpenIcon}</span>`;
      case 'mismatch':
        return html`<span part="indicator lock mismatch" title="Keys do not match">${lockOpenIcon}</span>`;
    }
  }

  private renderRemoteTile(p: RemoteParticipant): TemplateResult {
    if (p.e2ee === 'mismatch') return this.renderUndecryptableTile(p);
    const speaking = p.mic && p.audioLevel > SPEAKING_LEVEL;
    return html`<div
      part="tile tile-remote ${speaking ? 'speaking' : ''}"
      class=${speaking ? 'speaking' : ''}
      data-id=${p.id}
      aria-label=${p.name}
    >
      <canvas part="video" data-id=${p.id} ?hidden=${!p.camera}></canvas>
      ${p.camera ? nothing : html`<div part="avatar">${initials(p.name)}</div>`}
      <div part="label">
        ${p.mic ? nothing : html`<span part="indicator mic-off" title="Microphone off">${micOffIcon}</span>`}
        ${p.camera ? nothing : html`<span part="indicator camera-off" title="Camera off">${cameraOffIcon}</span>`}
        ${this.renderSecurity(p)}
        <span>${p.name || 'Guest'}</span>
      </div>
    </div>`;
  }

  /** Their keys failed verification: say so plainly, and never show their bytes. */
  private renderUndecryptableTile(p: RemoteParticipant): TemplateResult {
    return html`<div part="tile tile-remote undecryptable" data-id=${p.id} aria-label=${p.name}>
      <div part="avatar cant-decrypt">
        <span>${lockOpenIcon}</span>
        <span>Can't decrypt ${p.name || 'Guest'}: a different passphrase, or the keys were tampered with.</span>
      </div>
      <div part="label">${this.renderSecurity(p)}<span>${p.name || 'Guest'}</span></div>
    </div>`;
  }

  private renderControls(room: Room): TemplateResult {
    const { mic, camera } = room.local.state;
    return html`<div part="controls" role="toolbar" aria-label="Call controls">
      <button
        part="control mic-button"
        aria-pressed=${mic ? 'true' : 'false'}
        title=${mic ? 'Mute microphone' : 'Unmute microphone'}
        @click=${this.toggleMic}
      >
        ${mic ? micIcon : micOffIcon}
      </button>
      <button
        part="control camera-button"
        aria-pressed=${camera ? 'true' : 'false'}
        title=${camera ? 'Turn camera off' : 'Turn camera on'}
        @click=${this.toggleCamera}
      >
        ${camera ? cameraIcon : cameraOffIcon}
      </button>
      <button part="control leave-button" @click=${this.onLeaveClick}>Leave</button>
    </div>`;
  }

  private renderOverlay(): TemplateResult | typeof nothing {
    if (this.roomState === 'connecting') return html`<div part="overlay" role="status">Joining ${this.room}…</div>`;
    if (this.roomState === 'left') {
      const error = this.endedBy;
      return html`<div part="overlay" role=${error ? 'alert' : 'status'}>
        <div>${error ? error.message : 'You left the call.'}</div>
        ${this.room ? html`<button part="action" @click=${this.onRejoinClick}>${error ? 'Try again' : 'Rejoin'}</button>` : nothing}
      </div>`;
    }
    if (this.roomState === 'idle' && !this.room) return html`<div part="overlay">Set a room to start a call.</div>`;
    if (this.roomState === 'joined' && this.current?.audioSuspended) {
      return html`<button part="action hear-button" @click=${this.onHearClick}>Click to hear the call</button>`;
    }
    return nothing;
  }
}

function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  // Whole code points, so a name starting with an emoji or a surrogate pair stays intact.
  const first = [...words[0]!][0]!;
  return (words.length > 1 ? first + [...words[words.length - 1]!][0]! : first).toUpperCase();
}

declare global {
  interface HTMLElementTagNameMap {
    'videocall-room': VideocallRoomElement;
  }
}
