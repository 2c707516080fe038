import { html, nothing, type TemplateResult } from 'lit';
import { cameraIcon, cameraOffIcon, micIcon, micOffIcon, screenIcon } from './icons.js';

/** What the control bar shows and does. */
export interface ControlBarState {
  mic: boolean;
  camera: boolean;
  onMic: () => void;
  onCamera: () => void;
  onLeave: () => void;
  /** Screen sharing (`screen-button`), where the browser can share a screen: on while sharing, and its label. */
  screenShare?: { on: boolean; label: string; onClick: () => void } | null;
}

/** The bar under the tiles: microphone, camera, leave. */
export function controlBar({ mic, camera, onMic, onCamera, onLeave, screenShare }: ControlBarState): TemplateResult {
  return html`<div part="controls" role="toolbar" aria-label="Call controls">
    ${deviceButton('mic-button', mic, mic ? 'Mute microphone' : 'Unmute microphone', mic ? micIcon : micOffIcon, onMic)}
    ${deviceButton(
      'camera-button',
      camera,
      camera ? 'Turn camera off' : 'Turn camera on',
      camera ? cameraIcon : cameraOffIcon,
      onCamera,
    )}
    ${screenShare ? deviceButton('screen-button', screenShare.on, screenShare.label, screenIcon, screenShare.onClick) : nothing}
    <button part="control leave-button" @click=${onLeave}>Leave</button>
  </div>`;
}

/** A toggle for one device: pressed while the device is on. */
function deviceButton(
  part: string,
  on: boolean,
  title: string,
  icon: TemplateResult,
  onClick: () => void,
): TemplateResult {
  return html`<button part="control ${part}" aria-pressed=${on ? 'true' : 'false'} title=${title} @click=${onClick}>
    ${icon}
  </button>`;
}
