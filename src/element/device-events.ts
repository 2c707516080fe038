import type { DeviceKind } from './device-preferences.js';

/**
 * Fired when the camera, microphone or speaker in use changes: chosen in the
 * settings panel or by `selectDevice()` (`reason` `selected`), or taken over
 * because the one in use went away, e.g. unplugged (`fallback`).
 *
 * @example
 * ```js
 * call.addEventListener('vc-device-changed', (e) => {
 *   if (e.reason === 'fallback') toast(`Now using ${e.label}`);
 * });
 * ```
 */
export class VcDeviceChangedEvent extends Event {
  constructor(
    /** `camera`, `mic` or `speaker`. */
    readonly kind: DeviceKind,
    /** The device now in use (`MediaDeviceInfo.deviceId`; empty: the default). */
    readonly deviceId: string,
    /** Its name as the browser gives it (empty before permission was granted). */
    readonly label: string,
    /** `selected` by the person or the page, or `fallback` after the one in use went away. */
    readonly reason: 'selected' | 'fallback',
  ) {
    super('vc-device-changed', { bubbles: true, composed: true });
  }
}
