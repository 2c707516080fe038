import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Room } from '../call/room.js';
import { VcDeviceChangedEvent } from './device-events.js';
import { loadDeviceChoices, saveDeviceChoice, type DeviceChoices, type DeviceKind } from './device-preferences.js';

/** What the controller needs from its element. */
export interface DeviceSource {
  /** The room in use, if any. */
  room(): Room | null;
}

const MEDIA_KIND: Record<MediaDeviceKind, DeviceKind> = {
  videoinput: 'camera',
  audioinput: 'mic',
  audiooutput: 'speaker',
};

/** True where the page can choose where an `AudioContext` plays (Chromium 110+). */
export const SPEAKER_SELECTABLE = typeof AudioContext !== 'undefined' && 'setSinkId' in AudioContext.prototype;

/**
 * The cameras, microphones and speakers there are, the ones chosen (remembered
 * for the site) and the ones in use. Follows `devicechange` (plugged in or out)
 * to keep the lists right, and fires `vc-device-changed` when the device in use
 * changes, by choice or because the one in use went away.
 */
export class DeviceController implements ReactiveController {
  /** The devices of each kind, as the browser lists them (labels once permission was granted). */
  devices: Record<DeviceKind, MediaDeviceInfo[]> = { camera: [], mic: [], speaker: [] };
  /** What was chosen (stored for the site); absent: the default. */
  choices: DeviceChoices = loadDeviceChoices();
  /** The camera and mic ids last seen in use, to tell a fallback from a choice. */
  private lastInUse: { camera: string | null; mic: string | null } = { camera: null, mic: null };
  private readonly onDeviceChange = (): void => void this.refresh();
  /** Kinds being switched by {@link select}: their change is a choice, not a fallback. */
  private readonly selecting = new Set<DeviceKind>();

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly source: DeviceSource,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    globalThis.navigator?.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
    void this.refresh();
  }

  hostDisconnected(): void {
    globalThis.navigator?.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
  }

  /** Lists the devices again (after `devicechange`, or once permission gives them labels). */
  async refresh(): Promise<void> {
    const media = globalThis.navigator?.mediaDevices;
    if (!media?.enumerateDevices) return;
    let all: MediaDeviceInfo[];
    try {
      all = await media.enumerateDevices();
    } catch {
      return; // e.g. a document being unloaded: keep the lists as they are
    }
    const next: Record<DeviceKind, MediaDeviceInfo[]> = { camera: [], mic: [], speaker: [] };
    // Empty ids: devices listed before permission, not choosable yet.
    for (const device of all) if (device.deviceId) next[MEDIA_KIND[device.kind]].push(device);
    this.devices = next;
    this.host.requestUpdate();
  }

  /** Gives a new room the chosen devices before it opens any. */
  prepare(room: Room): void {
    if (this.choices.camera) void room.local.selectDevice('camera', this.choices.camera);
    if (this.choices.mic) void room.local.selectDevice('mic', this.choices.mic);
    if (this.choices.speaker && SPEAKER_SELECTABLE) room.setSpeaker(this.choices.speaker).catch(() => undefined);
    this.lastInUse = { camera: null, mic: null };
  }

  /**
   * Uses `deviceId` for `kind` now (when in a call) and from now on, remembered
   * for the site. Rejects with a {@link VideoCallError} when it cannot be opened
   * (the device in use stays), or with a `NotSupportedError` for `speaker` where
   * the browser cannot choose the output.
   */
  async select(kind: DeviceKind, deviceId: string): Promise<void> {
    if (kind === 'speaker' && !SPEAKER_SELECTABLE) {
      throw new DOMException('This browser cannot choose where audio plays.', 'NotSupportedError');
    }
    const room = this.source.room();
    this.selecting.add(kind);
    try {
      if (room && kind === 'speaker') await room.setSpeaker(deviceId);
      else if (room && room.state !== 'left') await room.local.selectDevice(kind as 'camera' | 'mic', deviceId);
    } finally {
      this.selecting.delete(kind);
    }
    if (deviceId) this.choices = { ...this.choices, [kind]: deviceId };
    else this.choices = Object.fromEntries(Object.entries(this.choices).filter(([k]) => k !== kind));
    saveDeviceChoice(kind, deviceId);
    if (kind !== 'speaker' && room) this.lastInUse[kind] = room.local.devicesInUse[kind];
    this.host.requestUpdate();
    this.host.dispatchEvent(new VcDeviceChangedEvent(kind, deviceId, this.labelOf(kind, deviceId), 'selected'));
  }

  /** The device of `kind` in use now, else the one chosen; empty: the default. */
  inUse(kind: DeviceKind): string {
    const room = this.source.room();
    if (kind !== 'speaker' && room) {
      const open = room.local.devicesInUse[kind];
      if (open) return open;
    }
    return this.choices[kind] ?? '';
  }

  /**
   * Called on every change of the local media: a camera or mic in use that
   * changed without a choice was taken over after the other went away.
   */
  noteLocalMedia(): void {
    const room = this.source.room();
    if (!room) return;
    const now = room.local.devicesInUse;
    for (const kind of ['camera', 'mic'] as const) {
      const before = this.lastInUse[kind];
      const after = now[kind];
      if (before && after && before !== after && !this.selecting.has(kind)) {
        void this.refresh();
        this.host.dispatchEvent(new VcDeviceChangedEvent(kind, after, this.labelOf(kind, after), 'fallback'));
      }
      // Labels come with the first permission: list again then.
      if (!before && after && this.devices[kind].every((d) => !d.label)) void this.refresh();
      if (after) this.lastInUse[kind] = after;
    }
  }

  private labelOf(kind: DeviceKind, deviceId: string): string {
    return this.devices[kind].find((d) => d.deviceId === deviceId)?.label ?? '';
  }
}
