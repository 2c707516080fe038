import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { asVideoCallError, VideoCallError } from '../call/errors.js';
import type { ParticipantInfo, RemoteParticipant } from '../call/remote-participant.js';
import { VideoSubscriptionController } from './video-subscription-controller.js';
import { Room, type JoinTimes, type RoomState, type TransportChoice } from '../call/room.js';
import type { VideoCodecName } from '../codec/codec-support.js';
import { passphraseFromFragment } from '../e2ee/passphrase.js';
import { Announcer } from './announcer.js';
import { unsupportedBrowser } from './browser-support.js';
import { errorText, notice, overlay, type CallStatus } from './call-status.js';
import { controlBar } from './controls.js';
import { forwardToPage, VcErrorEvent, VcLeftEvent } from './events.js';
import { GestureListener } from './gesture-listener.js';
import { GridLayoutController } from './grid-layout-controller.js';
import { addFrame } from './host-frame.js';
import { DeviceController, SPEAKER_SELECTABLE } from './device-controller.js';
import type { DeviceKind } from './device-preferences.js';
import './device-settings-strings.js';
import { defineStrings, languageOf, translate } from './i18n.js';
import { languageReady } from './languages.js';
import { describeModeration, lobbyPanel } from './lobby-panel.js';
import { RemovalWatcher } from './removal-watcher.js';
import { chatButtonStyles, handStyles, styles } from './styles.js';
import { chatButton } from './chat-button.js';
import { ChatController } from './chat-controller.js';
import { CHAT_PANEL_PARTS } from './chat-panel-parts.js';
import { lazyPanel } from './lazy-panel.js';
import { handButton } from './hand.js';
import { peopleButton, peopleButtonStyles } from './people-button.js';
import { PeopleController } from './people-controller.js';
import type { SendOptions } from '../call/chat.js';
import { isSpeaking, localTile } from './tiles.js';
import { forwardLargeRoomEvents } from './large-room-events.js';
import './large-room-strings.js';
import { largeRoomStyles } from './large-room-styles.js';
import { StageController } from './stage-controller.js';
import type { StageLayout } from '../layout/stage-plan.js';
import { PACKAGE_VERSION } from './package-version.js';
import { PrejoinController } from './prejoin-controller.js';
import { StatsPanelController } from './stats-panel-controller.js';
import { forwardQualityEvents } from './quality-events.js';
import { qualityStyles } from './quality-indicator.js';
import type { CallStats } from '../call/call-stats.js';

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
 * Removing the element from the page leaves the call (once it has stayed out for
 * a moment); moving it elsewhere in the page, as frameworks do, keeps the call.
 *
 * @tag videocall-room
 * @fires vc-joined - {@link VcJoinedEvent} the room was joined
 * @fires vc-participant-joined - {@link VcParticipantJoinedEvent} someone joined
 * @fires vc-participant-left - {@link VcParticipantLeftEvent} someone left
 * @fires vc-left - {@link VcLeftEvent} this element left the room
 * @fires vc-error - {@link VcErrorEvent} something went wrong; `code` says what
 * @fires vc-reconnecting - {@link VcReconnectingEvent} the relay was lost; trying to get one back (each attempt)
 * @fires vc-reconnected - {@link VcReconnectedEvent} back in the call after `vc-reconnecting`
 * @fires vc-transport-changed - {@link VcTransportChangedEvent} the call moved to WebTransport after joining on WebSocket
 * @fires vc-send-quality - {@link VcSendQualityEvent} our video is now sent at another size or frame rate (load or congestion)
 * @fires vc-waiting - {@link VcWaitingEvent} the join waits in the room's lobby for an admin
 * @fires vc-knock - {@link VcKnockEvent} admins: who waits in the lobby now (answer with `admit()` / `deny()`)
 * @fires vc-moderated - {@link VcModeratedEvent} an admin muted us, allowed us again, or (un)locked the room
 * @fires vc-hand - {@link VcHandEvent} someone (or this element) raised or lowered their hand
 * @fires vc-message - {@link VcMessageEvent} a chat message or app data from someone else (`from`, `text` or `data`, `to`, `at`)
 * @fires vc-device-changed - {@link VcDeviceChangedEvent} the camera, mic or speaker in use changed (`selected` or `fallback` after an unplug)
 * @fires vc-screen-share - {@link VcScreenShareEvent} someone (or this element) started or stopped sharing a screen
 * @fires vc-active-speaker - {@link VcActiveSpeakerEvent} the active speaker changed
 * @fires vc-prejoin - {@link VcPrejoinEvent} the pre-join screen is shown (`reason`: `prejoin` or `no-name`); `vc-joined` follows its Join
 * @fires vc-quality-changed - {@link VcQualityChangedEvent} a remote participant's connection class changed (`good`, `fair`, `poor`)
 *
 * @csspart frame - the element's whole box (the page's CSS on the element never lays out what is inside)
 * @csspart stage - the area holding the tiles
 * @csspart grid - the tile grid
 * @csspart tile - one participant's tile (also `tile-local`, `tile-remote`, `speaking`)
 * @csspart video - the video inside a tile
 * @csspart avatar - the initials shown when a camera is off
 * @csspart label - the name bar on a tile
 * @csspart indicator - a sign on a tile: `mic-off`, `camera-off`, `lock` (with `verified`, `unverified`, `pending`, `mismatch`, `self`), `screen-audio` (a screen share with sound)
 * @csspart safety-code - the code to compare aloud with an unverified peer (E2EE without a passphrase)
 * @csspart cant-decrypt - what a tile shows instead of media that does not decrypt
 * @csspart controls - the control bar
 * @csspart control - each control button (also `mic-button`, `camera-button`, `settings-button`, `leave-button`)
 * @csspart notice - a passing message (also `error`, and `reconnecting` for the banner shown while reconnecting)
 * @csspart overlay - what covers the call when it is not running (connecting, ended, click to hear)
 * @csspart action - a button on the overlay (also `admit-button`, `deny-button` in the lobby panel)
 * @csspart settings - the settings panel (`settings-header`, `settings-title`, `setting` with `camera-setting`, `mic-setting`, `speaker-setting`; `setting-label`, `setting-note`, `close-button`)
 * @csspart device-select - a device picker (also `camera-select`, `mic-select`, `speaker-select`)
 * @csspart lobby - admins: the panel of people waiting to join (`lobby-title`, `knock`, `knock-name`)
 * @csspart chat - the chat panel (`chat-header`, `chat-title`, `chat-close`, `chat-log` around `chat-list`, `chat-empty`, `chat-message` with `chat-own` / `chat-private`, `chat-meta`, `chat-sender`, `chat-to`, `chat-time`, `chat-text`, `chat-form`, `chat-recipient`, `chat-input`, `chat-send`, `chat-error`)
 * @csspart hand-button - the control that raises and lowers this participant's hand; `hand-raised` marks a tile whose participant raised it
 * @csspart chat-button - the control that opens the chat; `badge` on it counts unread messages
 * @csspart people-button - the control that opens the People panel; `people-count` on it says how many are in the call
 * @csspart people-panel - the People panel (`people-header`, `people-title`, `people-close`, `people-filter`, `people-list`, `people-empty`, `person` with `person-you` / `person-speaking` / `person-hand`, `person-name`, `person-show`, `person-states`, `lower-hand`; signs are `indicator` with `mic-on`, `mic-off`, `camera-on`, `camera-off`, `screen-sharing`, `speaking-indicator`, `hand-raised`, `lock`…)
 * @csspart tile-screen - a screen share's tile (also `tile-remote` for others' shares, `tile-local-screen` for ours)
 * @csspart active-speaker - on the active speaker's tile, with a `speaking-indicator` sign in its name bar
 * @csspart speaker-layout - `layout="speaker"`: the box of the `featured` tile and the `filmstrip` (of `strip-slot`s)
 * @csspart pager - previous/next page controls (`previous-page`, `next-page`, `page-status`) when not everyone fits
 * @csspart prejoin - the pre-join screen (`prejoin-preview`, `prejoin-video`, `prejoin-camera-off`, `prejoin-toggles`, `prejoin-toggle` with `prejoin-mic` / `prejoin-camera`, `prejoin-level`, `prejoin-level-bar`, `prejoin-form`, `prejoin-title`, `prejoin-room`, `prejoin-name-label`, `prejoin-name`, `prejoin-error`, `prejoin-problem`, `prejoin-devices`, `prejoin-join`; its device pickers carry the settings panel's parts)
 * @csspart quality - the connection bars on a remote tile (an `indicator`, with `quality-good`, `quality-fair` or `quality-poor`)
 * @csspart stats-button - the settings panel's button that opens the statistics
 * @csspart stats-panel - the statistics panel (`stats-header`, `stats-title`, `stats-close`, `stats-summary`, `stats-body`, `stats-table` per participant with `stats-caption`, `stats-row`, `stats-label`, `stats-value`; `stats-empty`)
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
 * @cssprop --vc-action - background of action buttons (Rejoin, Admit) with --vc-on-action text
 * @cssprop --vc-on-action - text and icons on --vc-action and --vc-danger
 * @cssprop --vc-danger-text - error text on the element's background
 * @cssprop --vc-control-background - background of a control that is on
 * @cssprop --vc-label-background - background of the name bar on a tile (over video: dark in both themes)
 * @cssprop --vc-label-text - text of the name bar
 * @cssprop --vc-indicator - colour of the mic-off and camera-off signs in the name bar
 * @cssprop --vc-panel-background - background of panels and notices
 * @cssprop --vc-overlay-background - what covers the call while it is not running
 * @cssprop --vc-video-background - letterbox around video
 * @cssprop --vc-width - width when the page sets none and nothing stretches the element (default 640px)
 * @cssprop --vc-height - height when the page sets none (default 480px)
 * @cssprop --vc-min-height - the least height the element takes (default 240px)
 * @cssprop --vc-font-size - base text size (default 16px, whatever the page's)
 * @cssprop --vc-hand - the raised-hand sign and the pressed raise-hand button
 * @cssprop --vc-quality-good - the connection bars when good (--vc-quality-fair, --vc-quality-poor likewise)
 */
export class VideocallRoomElement extends LitElement {
  static override styles = [styles, chatButtonStyles, largeRoomStyles, handStyles, peopleButtonStyles, qualityStyles];

  /**
   * Adds or rewords the element's strings, per language (`en`, `it`, or any
   * other: a site adds one this way), for every element on the page. Keys are
   * listed in `src/element/i18n.ts` and next to each feature; a key missing in a
   * language falls back to English. The language is the element's `lang`, else
   * the nearest ancestor's, else the page's.
   *
   * @example
   * ```js
   * customElements.get('videocall-room').defineStrings({ de: { 'controls.leave': 'Verlassen' } });
   * ```
   */
  static defineStrings = defineStrings;

  /** The package version (semver) of this element's code; also on each instance. */
  static readonly version: string = PACKAGE_VERSION;

  /** The package version (semver) of this element's code, e.g. for a support request. */
  get version(): string {
    return PACKAGE_VERSION;
  }

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
  /** `on` (default) or `off`: a screen share may carry the shared tab's sound (the browser's picker offers it). */
  @property({ attribute: 'screen-audio', reflect: true }) screenAudio: 'on' | 'off' = 'on';
  /** Force a video codec (`vp8`, `vp9`, `av1`, `h264`); default: the best everyone can decode. */
  @property({ reflect: true }) codec: VideoCodecName | '' = '';
  /**
   * `auto` (default): WebTransport where the browser and relay have it, else WebSocket;
   * `websocket` or `webtransport` for only that one. {@link transportInUse} says which is used.
   */
  @property({ reflect: true }) transport: TransportChoice = 'auto';
  /**
   * Access token (a JWT the site's backend signs), for relays that require one.
   * Setting a fresh one during the call renews access without rejoining.
   */
  @property() token = '';
  /**
   * `light` or `dark`; unset (default): the person's system preference
   * (`prefers-color-scheme`). Every colour is also a `--vc-*` property.
   */
  @property({ reflect: true }) theme: 'light' | 'dark' | '' = '';
  /** Don't join by itself: the page calls {@link join}. */
  @property({ type: Boolean, reflect: true }) manual = false;
  /** Encrypt media end to end: the relay routes it but cannot read it. */
  @property({ type: Boolean, reflect: true }) e2ee = false;
  /**
   * Room passphrase for E2EE (turns `e2ee` on). Also read from the page URL's
   * fragment `#vc-key=…`, which browsers never send to any server.
   */
  @property() passphrase = '';
  /**
   * `grid` (default): tiles of equal size. `speaker`: the active speaker large
   * (a screen share, when there is one, wins) and the others in a filmstrip.
   * Each tile is received in the layer that fits its size.
   */
  @property({ reflect: true }) layout: StageLayout = 'grid';
  /**
   * Most tiles on one page; beyond it the tiles are paged (previous/next), and
   * people on other pages cost nothing but their roster entry. Default (0):
   * as many as fit the element at 160×90 or more, at most 25.
   */
  @property({ type: Number, attribute: 'max-tiles', reflect: true }) maxTiles = 0;
  /**
   * Show the pre-join screen before joining (camera preview, name, mic and camera
   * toggles, devices, Join), even when `name` is set. Without `name` it is shown anyway.
   */
  @property({ type: Boolean, reflect: true }) prejoin = false;

  /** `idle`, `connecting`, `joined`, `reconnecting` or `left`. */
  @state() private roomState: RoomState = 'idle';
  @state() private notice: { text: string; error: boolean } | null = null;
  @state() private endedBy: VideoCallError | null = null;
  @state() private waiting: { locked: boolean } | null = null;
  @state() private settingsOpen = false;

  private current: Room | null = null;
  /** What this browser lacks for any call (checked once); null where calls work. */
  private readonly unsupported = unsupportedBrowser();
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Errors already fired as `vc-error`, so a fatal one is not fired twice. */
  private readonly reported = new WeakSet<VideoCallError>();
  /** Whether each remote participant was speaking at their last level change (see {@link speakingChanged}). */
  private readonly speaking = new WeakMap<RemoteParticipant, boolean>();

  private readonly chat = new ChatController(this);
  /** `<videocall-chat-panel>`, fetched the first time the chat opens. */
  private readonly chatPanelModule = lazyPanel(this, () => import('./chat-panel.js'));
  /** The device settings panel, fetched the first time it opens. */
  private readonly settingsPanel = lazyPanel(this, () => import('./device-settings.js'));

  /** The People panel: one side panel at a time, so opening it closes the chat and the settings. */
  private readonly people: PeopleController = new PeopleController(this, {
    root: () => this.renderRoot ?? null,
    name: () => this.name,
    lang: () => this.language,
    reveal: (id) => this.stage.reveal(id),
    opening: () => {
      this.chat.toggle(false);
      this.settingsOpen = false;
    },
  });
  private readonly statsPanel = new StatsPanelController(this, () =>
    this.renderRoot.querySelector<HTMLElement>('[part~="settings-button"]'),
  );

  private readonly grid = new GridLayoutController(this, {
    stage: () => this.renderRoot?.querySelector<HTMLElement>('[part~="stage"]') ?? null,
    tileCount: () => (this.inCall ? this.stage.tileCount : 1),
  });

  private readonly stage: StageController = new StageController(this, {
    stage: () => this.renderRoot?.querySelector<HTMLElement>('[part~="stage"]') ?? null,
    room: () => (this.inCall ? this.current : null),
    layout: () => (this.layout === 'speaker' ? 'speaker' : 'grid'),
    maxTiles: () => this.maxTiles,
    lang: () => this.language,
  });

  /** Cameras, microphones and speakers: listed, chosen, remembered, followed when unplugged. */
  private readonly deviceControl: DeviceController;
  /** Joins, leaves and errors, said to screen readers. */
  private readonly announcer = new Announcer(this);
  /** The pre-join screen, before joining when `name` is missing or `prejoin` is set. */
  private readonly preJoin: PrejoinController;

  constructor() {
    super();
    this.addController(this.grid);
    this.deviceControl = new DeviceController(this, { room: () => this.current });
    this.preJoin = new PrejoinController(this, {
      createRoom: () => this.createRoom(),
      dropRoom: (room) => {
        if (this.current === room) this.current = null;
      },
      devices: this.deviceControl,
      speakerSelectable: SPEAKER_SELECTABLE,
      onDeviceSelect: (kind, deviceId) => this.onDeviceSelect(kind, deviceId),
    });
    // After the grid: it measures the tiles the grid has just laid out.
    new VideoSubscriptionController(this, {
      root: () => this.renderRoot ?? null,
      setSubscription: (views) => this.current?.setSubscription(views),
    });
    // A removed element must not keep the camera on; a moved one keeps its call.
    this.addController(new RemovalWatcher(this, () => this.leave()));
    // While audio waits for a gesture, any click or key press on the page (not only
    // our button) is one: resume then, so people who interact with the host page hear the call.
    this.addController(
      new GestureListener(
        this,
        () => this.roomState === 'joined' && !!this.current?.audioSuspended,
        () => this.onHearClick(),
      ),
    );
  }

  /** Renders into a frame in the shadow root, laid out the same whatever CSS the page sets on the element. */
  protected override createRenderRoot(): HTMLElement {
    const frame = addFrame(super.createRenderRoot());
    // LitElement aimed at the shadow root's first child; render into the frame instead.
    this.renderOptions.renderBefore = null;
    return frame;
  }

  /** `lang` is the DOM's own attribute: follow it too, so a change re-renders in the new language. */
  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, 'lang'];
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'lang') this.requestUpdate();
  }

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

  /**
   * What this element's video is sent at now (`height`, `framerate`) and why it is
   * below the camera's best (`limitedBy`: `cpu` or `network`, else null); null
   * while no video is sent. Changes come as `vc-send-quality`.
   */
  get sendQuality(): { height: number; framerate: number; limitedBy: 'cpu' | 'network' | null } | null {
    return this.roomState === 'joined' ? (this.current?.sendQuality ?? null) : null;
  }

  /**
   * How long the last join took, ms from its start: to the relay's welcome
   * (`joinedMs`), to the first remote picture shown (`firstVideoMs`) and to the
   * first remote sound handed to playout (`firstAudioMs`); null for what has not
   * happened yet, and null before any join.
   */
  get joinTimes(): JoinTimes | null {
    return this.current?.joinTimes ?? null;
  }

  /**
   * Who speaks now (the relay's choice from audio levels, with hysteresis): a
   * participant's id, our own session id, or null. Changes come as `vc-active-speaker`.
   */
  get activeSpeaker(): string | null {
    return this.inCall ? (this.current?.activeSpeaker ?? null) : null;
  }

  /** True while this element shares a screen. */
  get screenSharing(): boolean {
    return !!this.current?.screenSharing;
  }

  /**
   * Shares a screen, window or tab (the browser asks which) beside the camera.
   * Rejects with a {@link VideoCallError} (`screen-denied` when the picker is
   * dismissed, `screen-unsupported`, `screen-failed`), also fired as `vc-error`
   * unless the person just cancelled.
   */
  async startScreenShare(): Promise<void> {
    const room = this.current;
    if (!room || !this.inCall) throw new VideoCallError('invalid-state', 'Join the call before sharing a screen.');
    try {
      await room.startScreenShare({ audio: this.screenAudio !== 'off' });
    } catch (error) {
      const failure = asVideoCallError(error);
      if (failure.code !== 'screen-denied') this.report(failure);
      throw failure;
    } finally {
      this.requestUpdate();
    }
  }

  /** Stops sharing the screen. */
  stopScreenShare(): void {
    this.current?.stopScreenShare();
  }

  /**
   * The call's figures now: transport and round trip, what this element sends,
   * and per participant what it receives (frame rate, bitrate, size, codec,
   * layer, freezes, loss, jitter buffer, glass-to-glass and mouth-to-ear delays)
   * with their connection's class, the same the stats panel and the tiles'
   * bars show. Plain data, JSON-serialisable; see {@link CallStats}. Rejects
   * with a {@link VideoCallError} `invalid-state` before the element joined.
   *
   * @example
   * const stats = await call.getStats();
   * console.table(stats.participants.map((p) => ({ name: p.name, fps: p.video?.fps, quality: p.quality })));
   */
  getStats(): Promise<CallStats> {
    const room = this.current;
    if (!room) return Promise.reject(new VideoCallError('invalid-state', 'Join the call before asking for its stats.'));
    return room.getStats();
  }

  /** The headless room behind the element, for pages that need more than attributes. */
  get roomClient(): Room | null {
    return this.current;
  }

  /**
   * Joins `room` by itself unless `manual`. Putting the element back after a move
   * (or within a moment of its removal) keeps the call it has.
   */
  override connectedCallback(): void {
    super.connectedCallback();
    // Said at once (and once), rather than a blank element, when this browser cannot call.
    // After the page's script that added the element has had a chance to listen.
    const unsupported = this.unsupported;
    if (unsupported && !this.reported.has(unsupported)) {
      this.reported.add(unsupported);
      queueMicrotask(() => this.report(unsupported));
    }
    if (!this.manual && this.room && this.roomState === 'idle') void this.join().catch(() => undefined);
  }

  /**
   * Joins `room`. Resolves once joined; rejects with a {@link VideoCallError}
   * (also reported as `vc-error`) when the call cannot start.
   */
  async join(): Promise<void> {
    if (this.current && (this.roomState === 'connecting' || this.inCall)) return;
    if (this.unsupported) throw this.unsupported;
    // No name, or `prejoin`: the pre-join screen first; its Join comes back here.
    if (this.preJoin.wanted()) return this.preJoin.show();
    this.endedBy = null;
    this.notice = null;
    const room = this.preJoin.take() ?? this.createRoom();
    room.setName(this.name || 'Guest');
    this.roomState = 'connecting';
    try {
      await room.join();
    } catch (error) {
      const failure = asVideoCallError(error);
      if (this.current === room) this.end(failure);
      throw failure;
    }
  }

  /** A room for the attributes as they are, followed by the element and given the chosen devices; not joined. */
  private createRoom(): Room {
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
    this.deviceControl.prepare(room);
    this.bind(room);
    this.chat.bind(room);
    this.people.bind(room);
    return room;
  }

  /**
   * Sends a chat message to everyone, or only to the participant ids in `to`
   * (end-to-end encrypted when E2EE is on); it shows in the chat panel. The
   * others get `vc-message`. Rejects with a {@link VideoCallError}:
   * `invalid-state` (not in a call), `invalid-argument` (empty, or `to` names
   * someone not in the call), `too-large` (over 4000 characters).
   *
   * @example
   * await call.sendMessage('Slides are up', { to: call.participants[0].id });
   */
  sendMessage(text: string, options: SendOptions = {}): Promise<void> {
    const to = options.to === undefined ? [] : typeof options.to === 'string' ? [options.to] : options.to;
    if (!this.current)
      return Promise.reject(new VideoCallError('invalid-state', 'Join the call before sending messages.'));
    return this.chat.send(text, to);
  }

  /**
   * Sends app data (a `Uint8Array` or `ArrayBuffer`, at most 15 KiB) to everyone
   * or to `to`, for the page's own features; others get it as `vc-message` with
   * `data`. Not shown in the chat. Rejects like {@link sendMessage}.
   *
   * @example
   * await call.sendData(new TextEncoder().encode(JSON.stringify({ reaction: '👏' })));
   */
  sendData(data: Uint8Array | ArrayBuffer, options: SendOptions = {}): Promise<void> {
    if (!this.current) return Promise.reject(new VideoCallError('invalid-state', 'Join the call before sending data.'));
    return this.current.sendData(data instanceof ArrayBuffer ? new Uint8Array(data) : data, options);
  }

  /** True while this element's hand is raised. */
  get handRaised(): boolean {
    return this.current?.handRaised ?? false;
  }

  /** Raises this participant's hand: the others see it on its tile and get `vc-hand`. */
  raiseHand(): void {
    this.current?.raiseHand();
  }

  /** Lowers this participant's hand. */
  lowerHand(): void {
    this.current?.lowerHand();
  }

  /**
   * Ids of the participants with a hand up, first raised first (ours is our
   * session id): the order of the People panel. Hands already up when we joined
   * come in the roster's order.
   */
  get raisedHands(): string[] {
    return this.inCall ? this.people.raisedHands : [];
  }

  /**
   * Opens (`true`), closes (`false`) or toggles the People panel; resolves once
   * it is shown. Its code is downloaded the first time it opens: rejects with a
   * {@link VideoCallError} `module-load-failed` when that fails, `invalid-state`
   * outside a call.
   */
  async togglePeople(open?: boolean): Promise<void> {
    if (!this.current || !this.inCall) {
      if (open === false) return;
      throw new VideoCallError('invalid-state', 'Join the call before opening the people list.');
    }
    await this.people.toggle(open);
  }

  /**
   * Brings participant `id`'s tile into view, as a click on them in the People
   * panel does: the grid (or the speaker layout's filmstrip) turns to the page
   * that shows them. Returns false when they are not in the call.
   */
  showParticipant(id: string): boolean {
    return this.inCall ? this.stage.reveal(id) : false;
  }

  /** Admins: lets someone waiting in the lobby (an id from `vc-knock`) in. */
  admit(id: string): void {
    this.current?.admit(id);
  }

  /** Admins: turns someone waiting in the lobby away. */
  deny(id: string): void {
    this.current?.deny(id);
  }

  /** Admins: mutes a participant's `mic` or `camera` at the relay (`lock`: until allowed again). */
  mute(id: string, what: 'mic' | 'camera', lock = false): void {
    this.current?.mute(id, what, lock);
  }

  /** Admins: removes a participant from the meeting for good (`remove()` is the DOM's: it removes the element). */
  removeParticipant(id: string): void {
    this.current?.remove(id);
  }

  /** Admins: locks the room (newcomers wait in the lobby), or unlocks it. */
  lockRoom(locked = true): void {
    this.current?.lock(locked);
  }

  /** Admins: ends the meeting for everyone. */
  endMeeting(): void {
    this.current?.endMeeting();
  }

  /** Leaves the room and releases camera and microphone. */
  leave(): void {
    if (this.preJoin.cancel()) return; // closing the pre-join screen releases its camera
    const room = this.current;
    if (!room || room.state === 'left') return;
    room.leave();
  }

  /** Follows `room`'s events: first the element's own state, then the page hears of them as `vc-*` events. */
  private bind(room: Room): void {
    // Events from a room this element already left behind (e.g. after `room` changed) are stale.
    const live =
      <E extends Event>(handler: (event: E) => void) =>
      (event: E) => {
        if (this.current === room) handler(event);
      };
    const rerender = live(() => this.requestUpdate());
    room.addEventListener(
      'joined',
      live(() => {
        this.roomState = 'joined';
        this.waiting = null;
        this.inLanguage((lang) => this.announcer.say(translate(lang, 'announce.joined')));
      }),
    );
    room.addEventListener(
      'waiting',
      live((e) => (this.waiting = { locked: e.locked })),
    );
    room.addEventListener('knock', rerender);
    room.addEventListener(
      'local-media',
      live(() => this.deviceControl.noteLocalMedia()),
    );
    room.addEventListener(
      'moderated',
      live((e) => this.inLanguage((lang) => this.show(describeModeration(e.kind, e.locked, lang), false))),
    );
    room.addEventListener(
      'reconnecting',
      live(() => (this.roomState = 'reconnecting')),
    );
    room.addEventListener(
      'reconnected',
      live(() => (this.roomState = 'joined')),
    );
    room.addEventListener(
      'participant-updated',
      live((e) => {
        // Levels change ten times a second per talker; what the element draws of them is who speaks.
        if (e.levelOnly && !this.speakingChanged(e.participant)) return;
        this.requestUpdate();
      }),
    );
    for (const type of [
      'participant-joined',
      'participant-left',
      'local-media',
      'hand',
      'reconnected',
      'transport-changed',
      'screen-share',
      'active-speaker',
    ]) {
      room.addEventListener(type, rerender);
    }
    room.addEventListener(
      'error',
      live((e) => this.report(e.error)),
    );
    const announce = (key: string, name: string) =>
      this.inLanguage((lang) =>
        this.announcer.say(translate(lang, key, { name: name || translate(lang, 'tile.guest') })),
      );
    room.addEventListener(
      'participant-joined',
      live((e) => announce('announce.participantJoined', e.participant.name)),
    );
    room.addEventListener(
      'participant-left',
      live((e) => announce('announce.participantLeft', e.participant.name)),
    );
    room.addEventListener(
      'left',
      live((e) => this.end(e.error ?? null)),
    );
    forwardToPage(
      room,
      () => this.room,
      live((e) => this.dispatchEvent(e)),
    );
    forwardLargeRoomEvents(
      room,
      live((e) => this.dispatchEvent(e)),
    );
    forwardQualityEvents(
      room,
      live((e) => this.dispatchEvent(e)),
    );
  }

  /** Whether `p`'s level change flips them between speaking and not, as tiles and the People panel show it. */
  private speakingChanged(p: RemoteParticipant): boolean {
    const now = isSpeaking(p);
    if (this.speaking.get(p) === now) return false;
    this.speaking.set(p, now);
    return true;
  }

  private report(error: VideoCallError): void {
    this.reported.add(error);
    this.dispatchEvent(new VcErrorEvent(error.code, error.message, error.fatal));
    if (error.fatal) return; // the overlay says it (an alert)
    this.inLanguage((lang) => {
      this.show(errorText(error, lang), true);
      this.announcer.say(errorText(error, lang), true);
    });
  }

  /**
   * Runs `say` with the element's language once its strings are loaded: a join can
   * finish before a built-in language's chunk arrives, and a sentence said in
   * English then would stay English.
   */
  private inLanguage(say: (lang: string) => void): void {
    const lang = this.language;
    const ready = languageReady(lang);
    if (ready) void ready.then(() => say(lang));
    else say(lang);
  }

  /** A passing message over the call. */
  private show(text: string, error: boolean): void {
    this.notice = { text, error };
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (this.notice = null), 8000);
  }

  private end(error: VideoCallError | null): void {
    if (this.roomState === 'left' && this.endedBy === error) return;
    const wasFatal = error?.fatal ?? false;
    this.roomState = 'left';
    this.waiting = null;
    this.endedBy = error;
    // Errors raised by join() itself never went through the room's error event.
    if (error && wasFatal && !this.reported.has(error)) {
      this.reported.add(error);
      this.dispatchEvent(new VcErrorEvent(error.code, error.message, true));
    }
    this.dispatchEvent(new VcLeftEvent(error ? error.code : 'left'));
    // An error is said by the overlay (an alert); a leave on purpose here.
    if (!error) this.inLanguage((lang) => this.announcer.say(translate(lang, 'announce.left')));
  }

  /**
   * Renders once the element's language is loaded (a built-in one other than
   * English is a chunk of its own), so an Italian page never flashes English.
   */
  protected override scheduleUpdate(): void | Promise<unknown> {
    const ready = languageReady(this.language);
    return ready ? ready.then(() => super.scheduleUpdate()) : super.scheduleUpdate();
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    this.followAttributes(changed);
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
    // A fresh token (the page renewed it before expiry) goes to the relay without rejoining.
    if (room && changed.has('token') && changed.get('token') !== undefined && this.token) room.setToken(this.token);
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

  /** Joined, or reconnecting (tiles and controls stay while the relay is got back). */
  private get inCall(): boolean {
    return this.roomState === 'joined' || this.roomState === 'reconnecting';
  }

  /**
   * Turns the microphone on or off, as its button does. Before the call it sets
   * what the join opens. Resolves with whether the microphone is on afterwards
   * (false when it could not be opened: `vc-error` says why); rejects with a
   * {@link VideoCallError} `not-allowed` while an admin keeps it off. The `mic`
   * attribute always says what is sent.
   */
  setMicEnabled(on: boolean): Promise<boolean> {
    return this.setDevice('mic', on);
  }

  /** Turns the camera on or off, as its button does; otherwise as {@link setMicEnabled}. */
  setCameraEnabled(on: boolean): Promise<boolean> {
    return this.setDevice('camera', on);
  }

  /**
   * Uses the camera, microphone or speaker `deviceId` (from
   * `navigator.mediaDevices.enumerateDevices()`; empty: the default) now and in
   * later calls on this site, as the settings panel does. Fires
   * `vc-device-changed`. Rejects with a {@link VideoCallError} (`camera-missing`,
   * `mic-missing`…) when it cannot be opened, the device in use staying; for
   * `speaker`, with a `NotSupportedError` where the browser cannot choose the output.
   */
  selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    return this.deviceControl.select(kind, deviceId);
  }

  /** The device chosen or in use per kind (empty: the default). */
  get selectedDevices(): Record<DeviceKind, string> {
    const c = this.deviceControl;
    return { camera: c.inUse('camera'), mic: c.inUse('mic'), speaker: c.inUse('speaker') };
  }

  /** The language the element speaks: its `lang`, else the nearest ancestor's, else the page's. */
  get language(): string {
    return languageOf(this);
  }

  /** Switches a device, then reflects it into the attribute, so `mic` and `camera` always say what is sent. */
  private async setDevice(device: 'mic' | 'camera', on: boolean): Promise<boolean> {
    const room = this.current;
    if (!room || !this.inCall) {
      this[device] = on ? 'on' : 'off';
      return on;
    }
    try {
      await (device === 'mic' ? room.setMic(on) : room.setCamera(on));
    } catch (error) {
      // An admin keeps it off: say so.
      const failure = asVideoCallError(error);
      this.report(failure);
      throw failure;
    } finally {
      this[device] = room.local.state[device] ? 'on' : 'off';
      this.requestUpdate();
    }
    return room.local.state[device];
  }

  /** A device button: the opposite of what is sent now. */
  private toggle(device: 'mic' | 'camera'): void {
    const room = this.current;
    if (!room) return;
    this.setDevice(device, !room.local.state[device]).catch(() => undefined);
  }

  private toggleMic = (): void => this.toggle('mic');
  private toggleCamera = (): void => this.toggle('camera');
  private onLeaveClick = (): void => this.leave();
  private toggleSettings = (): void => {
    this.settingsOpen = !this.settingsOpen;
    if (this.settingsOpen) void this.deviceControl.refresh();
    if (this.settingsOpen) void this.people.toggle(false);
    // Focus follows: into the panel when it opens, back to its button when it closes.
    // The panel is a chunk (lazyPanel reports one that failed to load; focus then stays).
    const ready = this.settingsOpen
      ? this.settingsPanel.load().then(
          () => this.updateComplete,
          () => this.updateComplete,
        )
      : this.updateComplete;
    void ready.then(() => {
      const root = this.renderRoot;
      const target = this.settingsOpen
        ? (root.querySelector<HTMLElement>('[part~="device-select"]:not([disabled])') ??
          root.querySelector<HTMLElement>('[part~="close-button"]'))
        : root.querySelector<HTMLElement>('[part~="settings-button"]');
      target?.focus();
    });
  };
  private onDeviceSelect = (kind: DeviceKind, deviceId: string): void => {
    this.selectDevice(kind, deviceId).catch((error: unknown) => {
      if (error instanceof VideoCallError) this.report(error);
      this.requestUpdate(); // the picker goes back to what is in use
    });
  };
  private onScreenClick = (): void => {
    if (this.current?.screenSharing) this.stopScreenShare();
    else void this.startScreenShare().catch(() => undefined);
  };
  private onRejoinClick = (): void => {
    void this.join().catch(() => undefined);
  };
  private onHearClick = (): void => {
    void this.current?.resumeAudio().then(() => this.requestUpdate());
  };

  private onHandClick = (): void => {
    const room = this.current;
    if (room?.handRaised) room.lowerHand();
    else room?.raiseHand();
  };

  /** The settings panel's "Statistics": the stats panel takes its place. */
  private onStatsClick = (): void => {
    this.settingsOpen = false;
    void this.statsPanel.show();
  };

  private onChatClick = (): void => {
    this.chat.toggle();
    if (this.chat.open) void this.people.toggle(false);
    if (this.chat.open)
      void this.chatPanelModule
        .load()
        .then(() => this.updateComplete)
        .then(() => this.renderRoot.querySelector('videocall-chat-panel')?.focus())
        .catch(() => undefined); // a chunk that failed to load is reported by lazyPanel
  };

  private onPeopleClick = (): void => {
    const opening = !this.people.open;
    this.people.toggle(opening).then(
      () => {
        if (opening) this.renderRoot.querySelector('videocall-people-panel')?.focus();
      },
      (error: unknown) => this.report(asVideoCallError(error)),
    );
  };

  private chatPanel(room: Room): TemplateResult {
    return html`<videocall-chat-panel
      exportparts=${CHAT_PANEL_PARTS}
      .entries=${this.chat.entries}
      .recipients=${[...room.participants.values()].map((p) => ({ id: p.id, name: p.name }))}
      .lang=${languageOf(this)}
      .send=${(text: string, to: readonly string[]) => this.chat.send(text, to)}
      .close=${() => {
        this.chat.toggle(false);
        this.renderRoot.querySelector<HTMLElement>('[part~="chat-button"]')?.focus();
      }}
    ></videocall-chat-panel>`;
  }

  /** E2EE settings from the attributes and the URL fragment. */
  private encryption(): { e2ee: boolean; passphrase?: string } {
    const passphrase = this.passphrase || passphraseFromFragment(globalThis.location?.hash ?? '') || undefined;
    return { e2ee: this.e2ee || !!passphrase, passphrase };
  }

  override render(): TemplateResult {
    const room = this.current;
    const joined = this.roomState === 'joined' && room;
    const inCall = this.inCall && room;
    const plan = this.stage.plan();
    const canShare = typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getDisplayMedia === 'function';
    const status: CallStatus = {
      state: this.roomState,
      room: this.room,
      waiting: this.waiting,
      endedBy: this.endedBy,
      audioSuspended: !!room?.audioSuspended,
      notice: this.notice,
      onRejoin: this.onRejoinClick,
      onHear: this.onHearClick,
      lang: this.language,
      unsupported: this.unsupported,
    };
    return html`
      <div part="stage" data-transport=${(joined && room.transportKind) || nothing}>
        ${this.stage.render(plan, this.grid.style, (extras) =>
          localTile(
            {
              name: this.name,
              videoTrack: room?.local.selfViewTrack ?? null,
              mic: room?.local.state.mic ?? false,
              encrypted: !!room && room.encryption !== 'off',
              lang: status.lang,
            },
            extras,
          ),
        )}
        ${overlay(status)} ${notice(status)} ${this.announcer.render()}
        ${inCall && this.chat.open ? this.chatPanelModule.render(() => this.chatPanel(room)) : nothing}
        ${inCall ? this.people.render() : nothing} ${this.preJoin.render()}
        ${inCall ? this.statsPanel.render(() => room.getStats(), this.language) : nothing}
        ${
          joined && room.admin
            ? lobbyPanel({
                knocking: room.knocking,
                onAdmit: (id) => room.admit(id),
                onDeny: (id) => room.deny(id),
                lang: status.lang,
              })
            : nothing
        }
        ${
          inCall && this.settingsOpen
            ? this.settingsPanel.render(({ deviceSettings }) =>
                deviceSettings({
                  lang: this.language,
                  devices: this.deviceControl.devices,
                  selected: (kind) => this.deviceControl.inUse(kind),
                  speakerSelectable: SPEAKER_SELECTABLE,
                  onSelect: this.onDeviceSelect,
                  onClose: this.toggleSettings,
                  onStats: this.onStatsClick,
                }),
              )
            : nothing
        }
      </div>
      ${inCall ? this.stage.pager(plan) : nothing}
      ${
        inCall
          ? controlBar({
              mic: room.local.state.mic,
              camera: room.local.state.camera,
              onMic: this.toggleMic,
              onCamera: this.toggleCamera,
              onLeave: this.onLeaveClick,
              lang: status.lang,
              settings: {
                open: this.settingsOpen,
                label: translate(this.language, 'settings.title'),
                onToggle: this.toggleSettings,
              },
              extra: [
                handButton(this.language, room.handRaised, this.onHandClick),
                peopleButton(this.language, this.people.open, this.people.count, this.onPeopleClick),
                chatButton(this.language, this.chat.open, this.chat.unread, this.onChatClick),
              ],
              screenShare: canShare
                ? {
                    on: room.screenSharing,
                    label: translate(this.language, room.screenSharing ? 'screen.stop' : 'screen.start'),
                    onClick: this.onScreenClick,
                  }
                : null,
            })
          : nothing
      }
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'videocall-room': VideocallRoomElement;
  }
}
