import { html, nothing, type TemplateResult } from 'lit';
import type { DeviceKind } from './device-preferences.js';
import './device-settings-strings.js';
import { translate } from './i18n.js';

/** What the settings panel shows and does. */
export interface DeviceSettings {
  lang: string;
  devices: Record<DeviceKind, readonly MediaDeviceInfo[]>;
  /** The id in use (or chosen) per kind; empty: the default. */
  selected: (kind: DeviceKind) => string;
  /** False where the browser cannot choose the audio output: the panel says so instead of a picker. */
  speakerSelectable: boolean;
  onSelect: (kind: DeviceKind, deviceId: string) => void;
  onClose: () => void;
  /** Opens the call's statistics (a button at the panel's foot when given). */
  onStats?: () => void;
}

/**
 * The settings panel: a picker for the camera, the microphone and the speaker.
 * A non-modal dialog over the stage; Escape or its close button closes it.
 */
export function deviceSettings(s: DeviceSettings): TemplateResult {
  const t = (key: string, params?: Record<string, string | number>) => translate(s.lang, key, params);
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    e.stopPropagation();
    s.onClose();
  };
  return html`<div part="settings" role="dialog" aria-labelledby="vc-settings-title" @keydown=${onKey}>
    <div part="settings-header">
      <h2 part="settings-title" id="vc-settings-title">${t('settings.title')}</h2>
      <button
        part="action close-button"
        aria-label=${t('settings.close')}
        title=${t('settings.close')}
        @click=${s.onClose}
      >
        ✕
      </button>
    </div>
    ${devicePickers(s)}
    ${s.onStats ? html`<button part="action stats-button" @click=${s.onStats}>${t('stats.open')}</button>` : nothing}
  </div>`;
}

/**
 * The camera, microphone and speaker pickers (or, for the speaker, a note where
 * the browser cannot choose it): the settings panel's, also on the pre-join screen.
 */
export function devicePickers(s: Omit<DeviceSettings, 'onClose'>): TemplateResult {
  const t = (key: string, params?: Record<string, string | number>) => translate(s.lang, key, params);
  return html`${picker(s, 'camera', t)} ${picker(s, 'mic', t)}
  ${s.speakerSelectable ? picker(s, 'speaker', t) : html`<p part="setting-note">${t('settings.speakerFixed')}</p>`}`;
}

function picker(
  s: Omit<DeviceSettings, 'onClose'>,
  kind: DeviceKind,
  t: (key: string, params?: Record<string, string | number>) => string,
): TemplateResult {
  const devices = s.devices[kind];
  const selected = s.selected(kind);
  const id = `vc-${kind}-select`;
  const name = t(`settings.${kind}`);
  // Without a label (before permission) a device is still choosable by its number.
  const label = (d: MediaDeviceInfo, i: number) => d.label || t('settings.unnamed', { kind: name, n: i + 1 });
  return html`<div part="setting ${kind}-setting">
    <label part="setting-label" for=${id}>${name}</label>
    <select
      part="device-select ${kind}-select"
      id=${id}
      ?disabled=${devices.length === 0}
      @change=${(e: Event) => s.onSelect(kind, (e.target as HTMLSelectElement).value)}
    >
      ${devices.length === 0 ? html`<option value="">${t('settings.none')}</option>` : nothing}
      ${
        kind === 'speaker' && devices.length > 0 && !devices.some((d) => d.deviceId === 'default')
          ? html`<option value="" ?selected=${!selected}>${t('settings.default')}</option>`
          : nothing
      }
      ${devices.map(
        (d, i) => html`<option value=${d.deviceId} ?selected=${d.deviceId === selected}>${label(d, i)}</option>`,
      )}
    </select>
  </div>`;
}
