/**
 * Fired when `<videocall-room>` shows its pre-join screen (camera preview, name,
 * devices) instead of joining at once: `name` was missing, or `prejoin` is set.
 * The usual `vc-joined` follows once the person presses Join.
 *
 * @example
 * ```js
 * call.addEventListener('vc-prejoin', (e) => analytics.track('prejoin', { reason: e.reason }));
 * ```
 */
export class VcPrejoinEvent extends Event {
  constructor(
    /** `prejoin`: the attribute asked for it; `no-name`: the element has no `name` to join with. */
    readonly reason: 'prejoin' | 'no-name',
  ) {
    super('vc-prejoin', { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'vc-prejoin': VcPrejoinEvent;
  }
}
