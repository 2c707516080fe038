/**
 * The element's own box inside its shadow root. A page's CSS can restyle the
 * host freely (`display: block`, `flex` or `grid`, any height, any container),
 * but cannot reach this frame: it fills the host (positioned against it through
 * layout containment, whatever `position` the page sets) and lays the call out
 * the same way in every case. Only `hidden` or `display: none` on the host hides it.
 */
export const FRAME_PART = 'frame';

/**
 * Adds the frame to `root` (the shadow root) and returns it, to render into.
 * Existing children (adopted-style fallbacks: `<style>` elements) stay before it.
 */
export function addFrame(root: HTMLElement | DocumentFragment): HTMLElement {
  const frame = document.createElement('div');
  frame.setAttribute('part', FRAME_PART);
  root.appendChild(frame);
  return frame;
}
