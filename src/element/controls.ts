import { html, type TemplateResult } from 'lit';
import { cameraIcon, cameraOffIcon, micIcon, micOffIcon } from './icons.js';

/** What the control bar shows and does. */
export interface ControlBarState {
  mic: boolean;
  camera: boolean;
  onMic: () => void;
  onCamera: () => void;
  onLeave: () => void;
  /** More buttons (chat, people…), shown before Leave. */
  extra?: readonly unknown[];
}

/** The bar under the tiles: microphone, camera, leave. */
export function controlBar({ mic, camera, onMic, onCamera, onLeave, extra = [] }: ControlBarState): TemplateResult {
  return html`<div part="controls" role="toolbar" aria-label="Call controls">
    ${deviceButton('mic-button', mic, mic ? 'Mute microphone' : 'Unmute microphone', mic ? micIcon : micOffIcon, onMic)}
    ${deviceButton(
      'camera-button',
      camera,
      camera ? 'Turn camera off' : 'Turn camera on',
      camera ? cameraIcon : cameraOffIcon,
      onCamera,
    )}
    ${extra}
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
