import { html, nothing, type TemplateResult } from 'lit';
import { translate } from './i18n.js';
import { cameraIcon, cameraOffIcon, micIcon, micOffIcon, screenIcon, settingsIcon } from './icons.js';

/** What the control bar shows and does. */
export interface ControlBarState {
  mic: boolean;
  camera: boolean;
  onMic: () => void;
  onCamera: () => void;
  onLeave: () => void;
  /** The language to label the controls in (default English). */
  lang?: string;
  /** The settings panel (devices): shown with a button when given. */
  settings?: { open: boolean; label: string; onToggle: () => void };
  /** More buttons (chat, people…), shown before Leave. */
  extra?: readonly unknown[];
  /** Screen sharing (`screen-button`), where the browser can share a screen: on while sharing, and its label. */
  screenShare?: { on: boolean; label: string; onClick: () => void } | null;
}

/** The bar under the tiles: microphone, camera, leave. */
export function controlBar({
  mic,
  camera,
  onMic,
  onCamera,
  onLeave,
  settings,
  lang = 'en',
  extra = [],
  screenShare,
}: ControlBarState): TemplateResult {
  const t = (key: string) => translate(lang, key);
  return html`<div part="controls" role="toolbar" aria-label=${t('controls.label')}>
    ${deviceButton(
      'mic-button',
      mic,
      t('controls.mic'),
      t(mic ? 'controls.micMute' : 'controls.micUnmute'),
      mic ? micIcon : micOffIcon,
      onMic,
    )}
    ${deviceButton(
      'camera-button',
      camera,
      t('controls.camera'),
      t(camera ? 'controls.cameraOff' : 'controls.cameraOn'),
      camera ? cameraIcon : cameraOffIcon,
      onCamera,
    )}
    ${
      screenShare
        ? deviceButton(
            'screen-button',
            screenShare.on,
            screenShare.label,
            screenShare.label,
            screenIcon,
            screenShare.onClick,
          )
        : nothing
    }
    ${settings ? settingsButton(settings) : nothing} ${extra}
    <button part="control leave-button" @click=${onLeave}>${t('controls.leave')}</button>
  </div>`;
}

/**
 * A toggle for one device: pressed while the device is on. Its name stays the
 * device's (`aria-pressed` says on or off, so state is not told by colour
 * alone); the tooltip says what a press does.
 */
function deviceButton(
  part: string,
  on: boolean,
  name: string,
  title: string,
  icon: TemplateResult,
  onClick: () => void,
): TemplateResult {
  return html`<button
    part="control ${part}"
    aria-pressed=${on ? 'true' : 'false'}
    aria-label=${name}
    title=${title}
    @click=${onClick}
  >
    ${icon}
  </button>`;
}

/** Opens and closes the settings panel. */
function settingsButton({ open, label, onToggle }: NonNullable<ControlBarState['settings']>): TemplateResult {
  return html`<button
    part="control settings-button"
    aria-expanded=${open ? 'true' : 'false'}
    aria-label=${label}
    title=${label}
    @click=${onToggle}
  >
    ${settingsIcon}
  </button>`;
}
