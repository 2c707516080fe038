import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { VideoCallError } from '../call/errors.js';
import type { Room } from '../call/room.js';
import type { DeviceController } from './device-controller.js';
import type { DeviceKind } from './device-preferences.js';
import { VcPrejoinEvent } from './prejoin-events.js';

/** What the pre-join screen needs from its element. */
export interface PrejoinHost extends ReactiveControllerHost, HTMLElement {
  prejoin: boolean;
  manual: boolean;
  name: string;
  room: string;
  mic: 'on' | 'off';
  camera: 'on' | 'off';
  readonly language: string;
  readonly renderRoot: HTMLElement | DocumentFragment;
  join(): Promise<void>;
}

/** How the controller reaches the element's own parts. */
export interface PrejoinSource {
  /** A new room, set up as the element's current one (events followed, devices chosen), not joined. */
  createRoom(): Room;
  /** Forget the room given by {@link createRoom} (the pre-join screen closed without joining). */
  dropRoom(room: Room): void;
  devices: DeviceController;
  speakerSelectable: boolean;
  onDeviceSelect(kind: DeviceKind, deviceId: string): void;
}

interface Pending {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/** The parts of the pre-join screen, passed up through `<videocall-room>` with `exportparts`. */
const PREJOIN_PARTS =
  'prejoin, prejoin-preview, prejoin-video, prejoin-camera-off, prejoin-toggles, prejoin-toggle, prejoin-mic, ' +
  'prejoin-camera, prejoin-level, prejoin-level-bar, prejoin-form, prejoin-title, prejoin-room, prejoin-name-label, ' +
  'prejoin-name, prejoin-error, prejoin-problem, prejoin-devices, prejoin-join, setting, camera-setting, ' +
  'mic-setting, speaker-setting, setting-label, setting-note, device-select, camera-select, mic-select, speaker-select';

/**
 * The pre-join screen of `<videocall-room>`: shown instead of joining at once
 * when `name` is missing or `prejoin` is set. It opens the call's own camera and
 * microphone for the preview (so joining does not open them again), and joins
 * when the person presses Join. The screen itself (`<videocall-prejoin>`) is
 * loaded the first time it is needed, so calls that never show it do not download it.
 */
export class PrejoinController implements ReactiveController {
  /** The room previewed; null while the screen is not shown. */
  private room: Room | null = null;
  /** The `room` attribute it was made for. */
  private roomName = '';
  private pending: Pending | null = null;
  /** The screen's module is loaded (the `<videocall-prejoin>` element is defined). */
  private loaded = false;
  /** Pressed Join once: a rejoin (after leaving) goes straight back in. */
  private passed = false;
  /** The `mic` and `camera` attributes last applied to the preview, to follow the page's changes. */
  private applied: { mic: string; camera: string } = { mic: '', camera: '' };
  /** Why a device is not in the preview (denied, missing…), by device. */
  private problems: Partial<Record<'camera' | 'mic', VideoCallError>> = {};

  constructor(
    private readonly host: PrejoinHost,
    private readonly source: PrejoinSource,
  ) {
    host.addController(this);
  }

  /**
   * Whether joining should go through the pre-join screen now: `prejoin` is set,
   * or the element joins by itself (not `manual`) and has no `name`. A page that
   * calls `join()` itself without a name joins as `Guest`, as it always did.
   */
  wanted(): boolean {
    const host = this.host;
    return this.open || (!this.passed && (host.prejoin || (!host.manual && !host.name.trim())));
  }

  /** True while the pre-join screen is up. */
  get open(): boolean {
    return this.pending !== null;
  }

  /**
   * Shows the pre-join screen and previews the devices. Resolves once the person
   * pressed Join and the call was joined; rejects as `join()` does, or with
   * `invalid-state` when the element left before joining.
   */
  show(): Promise<void> {
    if (this.pending) return this.pending.promise;
    let pending!: Pending;
    const promise = new Promise<void>((resolve, reject) => (pending = { promise: undefined!, resolve, reject }));
    pending.promise = promise;
    this.pending = pending;
    const reason = this.host.prejoin ? 'prejoin' : 'no-name';
    const room = this.source.createRoom();
    this.room = room;
    this.roomName = this.host.room;
    this.problems = {};
    this.applied = { mic: this.host.mic, camera: this.host.camera };
    room.addEventListener('error', (e) => {
      const device = /^(camera|mic)-/.exec(e.error.code)?.[1] as 'camera' | 'mic' | undefined;
      if (device && this.room === room) {
        this.problems = { ...this.problems, [device]: e.error };
        this.host.requestUpdate();
      }
    });
    room.preview().then(
      () => void this.source.devices.refresh(), // labels come with the permission
      () => undefined,
    );
    import('./prejoin-panel.js').then(
      () => {
        this.loaded = true;
        this.host.requestUpdate();
        void this.host.updateComplete.then(() => {
          if (this.pending !== pending) return;
          this.panel()?.focus();
          this.host.dispatchEvent(new VcPrejoinEvent(reason));
        });
      },
      // The screen could not be fetched (offline, a blocked chunk): join as before, rather than never.
      () => this.pending === pending && void this.proceed(this.host.name.trim()),
    );
    return promise;
  }

  /**
   * The room previewed, for the join that follows the Join button; null when there
   * is none, or it was made for another room name (then its devices are released).
   */
  take(): Room | null {
    const room = this.room;
    this.room = null;
    if (!room || room.state !== 'idle') return null;
    if (this.roomName === this.host.room) return room;
    room.leave();
    return null;
  }

  /** Closes the screen without joining (the element left or was removed); false when it was not up. */
  cancel(): boolean {
    const { pending, room } = this;
    if (!pending) return false;
    this.pending = null;
    this.room = null;
    if (room) {
      room.leave(); // releases the preview's camera and microphone
      this.source.dropRoom(room);
    }
    pending.reject(new VideoCallError('invalid-state', 'Left before joining.'));
    this.host.requestUpdate();
    return true;
  }

  hostUpdated(): void {
    // The page switched `mic` or `camera` (attribute, setMicEnabled…) while the screen is up: follow it.
    const room = this.room;
    if (!this.pending || !room) return;
    for (const device of ['mic', 'camera'] as const) {
      if (this.host[device] === this.applied[device]) continue;
      this.applied[device] = this.host[device];
      void this.switchDevice(device, this.host[device] === 'on');
    }
  }

  hostDisconnected(): void {
    // Leaving (and the camera) is the element's removal watcher's call; nothing to do here.
  }

  /** The pre-join screen, while it is up and loaded. */
  render(): TemplateResult | typeof nothing {
    const room = this.room;
    if (!this.pending || !this.loaded || !room) return nothing;
    const { devices } = this.source;
    return html`<videocall-prejoin
      exportparts=${PREJOIN_PARTS}
      .lang=${this.host.language}
      .room=${this.host.room}
      .initialName=${this.host.name}
      .videoTrack=${room.local.videoTrack}
      .audioTrack=${room.local.audioTrack}
      .mic=${room.local.state.mic}
      .camera=${room.local.state.camera}
      .problems=${this.problems}
      .devices=${devices.devices}
      .selected=${(kind: DeviceKind) => devices.inUse(kind)}
      .speakerSelectable=${this.source.speakerSelectable}
      .onSelect=${(kind: DeviceKind, deviceId: string) => this.source.onDeviceSelect(kind, deviceId)}
      .onToggle=${(device: 'mic' | 'camera') => void this.switchDevice(device, !room.local.state[device])}
      .onJoin=${(name: string) => void this.proceed(name)}
    ></videocall-prejoin>`;
  }

  private panel(): HTMLElement | null {
    return this.host.renderRoot.querySelector<HTMLElement>('videocall-prejoin');
  }

  /** Turns a device of the preview on or off; the attribute then says what will be sent. */
  private async switchDevice(device: 'mic' | 'camera', on: boolean): Promise<void> {
    const room = this.room;
    if (!room) return;
    if (on) {
      // Trying again: the problem it had is said again if it is still there.
      const { [device]: _gone, ...rest } = this.problems;
      this.problems = rest;
    }
    await (device === 'mic' ? room.setMic(on) : room.setCamera(on)).catch(() => undefined);
    if (this.room !== room) return;
    const now = room.local.state[device] ? 'on' : 'off';
    this.applied[device] = now;
    this.host[device] = now;
    this.host.requestUpdate();
  }

  /** Join pressed with `name`: joins with the previewed devices as they are. */
  private async proceed(name: string): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    this.passed = true;
    this.pending = null;
    if (name) this.host.name = name;
    // Focus was in the screen, which goes: put it on the call's first control once there is one.
    const focusWasHere = this.panel()?.matches(':focus-within') ?? false;
    try {
      await this.host.join();
      pending.resolve();
      if (focusWasHere) {
        await this.host.updateComplete;
        this.host.renderRoot.querySelector<HTMLElement>('[part~="mic-button"]')?.focus();
      }
    } catch (error) {
      pending.reject(error);
    }
  }
}
