import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import type { VideoCallError } from '../call/errors.js';
import { MicLevelMeter } from '../call/mic-level-meter.js';
import { MAX_NAME_LENGTH } from '../protocol/limits.js';
import { errorText } from './call-status.js';
import type { DeviceKind } from './device-preferences.js';
import { devicePickers } from './device-settings.js';
import { translate } from './i18n.js';
import { cameraIcon, cameraOffIcon, micIcon, micOffIcon } from './icons.js';
import './prejoin-strings.js';
import { rememberedName, rememberName } from './remembered-name.js';
import { selfView, VIDEO_TABINDEX } from './self-view.js';

/** The meter's range: −60 dBFS (empty) to 0 dBFS (full). */
const METER_FLOOR_DB = -60;

/** A level (RMS, 0..1) as a share of the meter, on a dB scale as level meters are. */
function meterPercent(rms: number): number {
  if (!(rms > 0)) return 0;
  const db = 20 * Math.log10(Math.min(1, rms));
  return Math.round(Math.max(0, Math.min(1, (db - METER_FLOOR_DB) / -METER_FLOOR_DB)) * 100);
}

/**
 * The pre-join screen inside `<videocall-room>`: the call's own camera in a
 * mirrored preview, mic and camera toggles, a microphone level meter, the name
 * (prefilled from `name` or the one remembered for the site), the device pickers
 * and Join. Enter in the name field joins; an empty name cannot, and says why.
 * Loaded by `<videocall-room>` the first time it is needed.
 *
 * @csspart prejoin - the screen (also every `prejoin-*` part, and the settings panel's picker parts)
 */
export class VideocallPrejoinElement extends LitElement {
  static override styles = css`
    :host {
      position: absolute;
      inset: 0;
      z-index: 5;
      overflow: auto;
      background: var(--vc-background, #111318);
      color: var(--vc-text, #f2f4f7);
    }
    [part~='prejoin'] {
      box-sizing: border-box;
      min-height: 100%;
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      justify-content: center;
      gap: 16px 24px;
      padding: 16px;
    }
    [part~='prejoin-preview'] {
      position: relative;
      flex: 1 1 260px;
      max-width: 480px;
      aspect-ratio: 16 / 9;
      overflow: hidden;
      border-radius: var(--vc-radius, 10px);
      background: var(--vc-video-background, #000);
    }
    [part~='prejoin-video'] {
      position: absolute;
      inset: 0;
      width: 100%;
      height: 100%;
      object-fit: cover;
      transform: scaleX(-1); /* a self-view is a mirror */
    }
    [part~='prejoin-camera-off'] {
      position: absolute;
      inset: 0;
      display: flex;
      align-items: center;
      justify-content: center;
      background: var(--vc-tile-background, #1f232b);
      color: var(--vc-muted-text, #a3aab8);
    }
    [part~='prejoin-toggles'] {
      position: absolute;
      left: 0;
      right: 0;
      bottom: 10px;
      display: flex;
      justify-content: center;
      gap: 12px;
    }
    button,
    input {
      font: inherit;
      color: inherit;
    }
    [part~='prejoin-toggle'] {
      width: var(--vc-control-size, 44px);
      height: var(--vc-control-size, 44px);
      border-radius: 50%;
      border: none;
      cursor: pointer;
      display: inline-flex;
      align-items: center;
      justify-content: center;
      font-size: 1.2rem;
      background: var(--vc-control-background, #2b303b);
      color: var(--vc-text, #f2f4f7);
    }
    [part~='prejoin-toggle'][aria-pressed='false'] {
      background: var(--vc-danger, #d1343a);
      color: var(--vc-on-action, #fff);
    }
    [part~='prejoin-toggle'] svg {
      width: 1em;
      height: 1em;
      fill: currentColor;
    }
    [part~='prejoin-form'] {
      flex: 1 1 220px;
      max-width: 320px;
      display: flex;
      flex-direction: column;
      gap: 8px;
      font-size: 0.9rem;
    }
    [part~='prejoin-title'] {
      margin: 0;
      font-size: 1.2rem;
      font-weight: 600;
    }
    [part~='prejoin-room'],
    [part~='setting-note'] {
      margin: 0;
      color: var(--vc-muted-text, #a3aab8);
    }
    [part~='prejoin-name-label'],
    [part~='setting-label'] {
      color: var(--vc-muted-text, #a3aab8);
    }
    [part~='prejoin-name'],
    [part~='device-select'] {
      font: inherit;
      color: var(--vc-text, #f2f4f7);
      background: var(--vc-tile-background, #1f232b);
      border: 1px solid var(--vc-muted-text, #a3aab8);
      border-radius: 6px;
      padding: 6px 8px;
      min-width: 0;
    }
    [part~='prejoin-name'][aria-invalid='true'] {
      border-color: var(--vc-danger-text, #ff6b70);
    }
    [part~='prejoin-error'],
    [part~='prejoin-problem'] {
      margin: 0;
      color: var(--vc-danger-text, #ff6b70);
    }
    [part~='prejoin-error']:empty {
      display: none;
    }
    [part~='prejoin-devices'] {
      display: flex;
      flex-direction: column;
      gap: 8px;
    }
    [part~='setting'] {
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    [part~='prejoin-level'] {
      height: 6px;
      border-radius: 3px;
      overflow: hidden;
      background: var(--vc-tile-background, #1f232b);
    }
    [part~='prejoin-level-bar'] {
      height: 100%;
      background: var(--vc-speaking, #3ccf91);
      transition: width 80ms linear;
    }
    [part~='prejoin-join'] {
      margin-top: 4px;
      border: none;
      border-radius: 8px;
      padding: 10px 16px;
      cursor: pointer;
      font-weight: 600;
      background: var(--vc-action, #2563eb);
      color: var(--vc-on-action, #fff);
    }
    :focus-visible {
      outline: 2px solid var(--vc-accent, #4f8cff);
      outline-offset: 2px;
    }
  `;

  /** The language to speak. */
  @property() override lang = 'en';
  /** The room to be joined (shown). */
  @property() room = '';
  /** The `name` the element has (it wins over the one remembered). */
  @property() initialName = '';
  @property({ attribute: false }) videoTrack: MediaStreamTrack | null = null;
  @property({ attribute: false }) audioTrack: MediaStreamTrack | null = null;
  /** The microphone is on (will be sent). */
  @property({ type: Boolean }) mic = false;
  /** The camera is on (will be sent). */
  @property({ type: Boolean }) camera = false;
  /** Why a device is not in the preview, by device. */
  @property({ attribute: false }) problems: Partial<Record<'camera' | 'mic', VideoCallError>> = {};
  @property({ attribute: false }) devices: Record<DeviceKind, readonly MediaDeviceInfo[]> = {
    camera: [],
    mic: [],
    speaker: [],
  };
  @property({ attribute: false }) selected: (kind: DeviceKind) => string = () => '';
  @property({ type: Boolean }) speakerSelectable = false;
  @property({ attribute: false }) onSelect: (kind: DeviceKind, deviceId: string) => void = () => undefined;
  @property({ attribute: false }) onToggle: (device: 'mic' | 'camera') => void = () => undefined;
  /** Join was pressed with this (trimmed, non-empty) name. */
  @property({ attribute: false }) onJoin: (name: string) => void = () => undefined;

  @state() private name: string | null = null;
  @state() private error = '';
  @state() private level = 0;
  @query('[part~="prejoin-name"]') private nameInput!: HTMLInputElement | null;
  private meter: MicLevelMeter | null = null;
  private meterTrack: MediaStreamTrack | null = null;

  /** Focus goes to the name field (what the screen asks first). */
  override focus(options?: FocusOptions): void {
    void this.updateComplete.then(() => this.nameInput?.focus(options));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopMeter();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Prefilled once: the element's name, else the one this site remembers.
    if (this.name === null) this.name = this.initialName.trim() || rememberedName();
    if (changed.has('audioTrack') && this.audioTrack !== this.meterTrack) this.startMeter(this.audioTrack);
  }

  private startMeter(track: MediaStreamTrack | null): void {
    this.stopMeter();
    this.meterTrack = track;
    if (!track || !this.isConnected) return;
    try {
      this.meter = new MicLevelMeter(track, (level) => (this.level = level));
    } catch {
      this.meter = null; // no way to read the track here: the screen works without a meter
    }
  }

  private stopMeter(): void {
    this.meter?.stop();
    this.meter = null;
    this.meterTrack = null;
    this.level = 0;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.audioTrack && !this.meter) this.startMeter(this.audioTrack);
  }

  private t(key: string, params?: Record<string, string | number>): string {
    return translate(this.lang, key, params);
  }

  private onInput = (e: Event): void => {
    this.name = (e.target as HTMLInputElement).value;
    if (this.error && this.name.trim()) this.error = '';
  };

  private onSubmit = (e: Event): void => {
    e.preventDefault();
    const name = (this.name ?? '').trim();
    if (!name) {
      this.error = this.t('prejoin.nameMissing');
      this.nameInput?.focus();
      return;
    }
    rememberName(name);
    this.onJoin(name);
  };

  /** What stops a device, in words, with what to do. */
  private problemText(device: 'camera' | 'mic', error: VideoCallError): string {
    if (error.code === `${device}-denied`) return this.t(`prejoin.${device}Blocked`);
    if (error.code === `${device}-missing`) return this.t(`prejoin.${device}Missing`);
    return errorText(error, this.lang);
  }

  private toggle(device: 'mic' | 'camera', on: boolean): TemplateResult {
    const t = (key: string) => this.t(key);
    const name = device === 'mic' ? t('controls.mic') : t('controls.camera');
    const title =
      device === 'mic'
        ? t(on ? 'controls.micMute' : 'controls.micUnmute')
        : t(on ? 'controls.cameraOff' : 'controls.cameraOn');
    const icon = device === 'mic' ? (on ? micIcon : micOffIcon) : on ? cameraIcon : cameraOffIcon;
    return html`<button
      type="button"
      part="prejoin-toggle prejoin-${device}"
      aria-pressed=${on ? 'true' : 'false'}
      aria-label=${name}
      title=${title}
      @click=${() => this.onToggle(device)}
    >
      ${icon}
    </button>`;
  }

  override render(): TemplateResult {
    const t = (key: string, params?: Record<string, string | number>) => this.t(key, params);
    const showVideo = this.camera && !!this.videoTrack;
    const percent = meterPercent(this.level);
    const problems = (['camera', 'mic'] as const).flatMap((device) => {
      const error = this.problems[device];
      return error ? [html`<p part="prejoin-problem" role="status">${this.problemText(device, error)}</p>`] : [];
    });
    return html`<div part="prejoin" role="group" aria-labelledby="vc-prejoin-title">
      <div part="prejoin-preview">
        <video
          part="prejoin-video"
          tabindex=${VIDEO_TABINDEX}
          muted
          playsinline
          autoplay
          aria-label=${t('prejoin.preview')}
          ?hidden=${!showVideo}
          ${selfView(showVideo ? this.videoTrack : null)}
        ></video>
        ${showVideo ? nothing : html`<div part="prejoin-camera-off">${t('prejoin.cameraOff')}</div>`}
        <div part="prejoin-toggles">${this.toggle('mic', this.mic)} ${this.toggle('camera', this.camera)}</div>
      </div>
      <form part="prejoin-form" novalidate @submit=${this.onSubmit}>
        <h2 part="prejoin-title" id="vc-prejoin-title">${t('prejoin.title')}</h2>
        ${this.room ? html`<p part="prejoin-room">${t('prejoin.room', { room: this.room })}</p>` : nothing}
        <label part="prejoin-name-label" for="vc-prejoin-name">${t('prejoin.name')}</label>
        <input
          part="prejoin-name"
          id="vc-prejoin-name"
          type="text"
          autocomplete="name"
          enterkeyhint="go"
          maxlength=${MAX_NAME_LENGTH}
          placeholder=${t('prejoin.namePlaceholder')}
          aria-invalid=${this.error ? 'true' : 'false'}
          aria-describedby="vc-prejoin-error"
          .value=${this.name ?? ''}
          @input=${this.onInput}
        />
        <p part="prejoin-error" id="vc-prejoin-error" role="alert">${this.error}</p>
        ${
          this.audioTrack
            ? html`<div
                part="prejoin-level"
                role="meter"
                aria-label=${t('prejoin.micLevel')}
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=${this.mic ? percent : 0}
              >
                <div part="prejoin-level-bar" style="width: ${this.mic ? percent : 0}%"></div>
              </div>`
            : nothing
        }
        ${problems}
        <div part="prejoin-devices">
          ${devicePickers({
            lang: this.lang,
            devices: this.devices,
            selected: this.selected,
            speakerSelectable: this.speakerSelectable,
            onSelect: this.onSelect,
          })}
        </div>
        <button part="prejoin-join" type="submit">${t('prejoin.join')}</button>
      </form>
    </div>`;
  }
}

if (!customElements.get('videocall-prejoin')) customElements.define('videocall-prejoin', VideocallPrejoinElement);

declare global {
  interface HTMLElementTagNameMap {
    'videocall-prejoin': VideocallPrejoinElement;
  }
}
