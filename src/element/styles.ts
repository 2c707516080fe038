import { css } from 'lit';

/** The light theme's colours: `theme="light"`, or the system's preference without a `theme`. */
const light = css`
  --vc-background: #f4f5f7;
  --vc-tile-background: #e3e6eb;
  --vc-text: #1d2330;
  --vc-muted-text: #4a5361;
  --vc-accent: #2563eb;
  --vc-action: #2563eb;
  --vc-danger: #c62a2f;
  --vc-danger-text: #b4232a;
  --vc-speaking: #1e7a52;
  --vc-control-background: #dde1e8;
  --vc-panel-background: rgb(255 255 255 / 97%);
  --vc-overlay-background: rgb(244 245 247 / 90%);
  color-scheme: light;
`;

/** The element's look. Every colour and size a site may want to change is a `--vc-*` property. */
export const styles = css`
  :host([theme='light']) {
    ${light}
  }
  @media (prefers-color-scheme: light) {
    :host(:not([theme='dark'])) {
      ${light}
    }
  }
  :host {
    --vc-background: #111318;
    --vc-tile-background: #1f232b;
    --vc-text: #f2f4f7;
    --vc-muted-text: #a3aab8;
    --vc-accent: #4f8cff;
    --vc-danger: #d1343a;
    --vc-speaking: #3ccf91;
    --vc-radius: 10px;
    --vc-gap: 8px;
    --vc-font: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    --vc-control-size: 44px;
    --vc-action: #2563eb;
    --vc-on-action: #fff;
    --vc-danger-text: #ff6b70;
    --vc-control-background: #2b303b;
    --vc-label-background: rgb(0 0 0 / 60%);
    --vc-label-text: #fff;
    --vc-indicator: #ff8589;
    --vc-panel-background: rgb(20 22 28 / 96%);
    --vc-overlay-background: rgb(10 12 16 / 80%);
    --vc-video-background: #000;
    --vc-width: 640px;
    --vc-height: 480px;
    --vc-min-height: 240px;
    --vc-font-size: 16px;
    color-scheme: dark;

    /*
     * The page may override any of these on the element; the call is laid out in
     * the frame below, which it cannot reach. Size containment makes the element's
     * size never depend on its content (a page's 'display: block' once gave a
     * stage of zero height): it takes the page's width and height, else
     * --vc-width × --vc-height. Layout containment makes it the frame's
     * containing block whatever 'position' the page sets.
     */
    display: block;
    box-sizing: border-box;
    contain: size layout paint style;
    contain-intrinsic-size: var(--vc-width) var(--vc-height);
    min-width: 0;
    min-height: var(--vc-min-height);
    border-radius: var(--vc-radius);
  }
  /* Hidden means hidden, even when the page sets a display on the element (shadow !important wins). */
  :host([hidden]) {
    display: none !important;
  }
  [part~='frame'] {
    position: absolute;
    inset: 0;
    display: flex;
    flex-direction: column;
    overflow: hidden;
    border-radius: inherit;
    background: var(--vc-background);
    color: var(--vc-text);
    font-family: var(--vc-font);
    font-size: var(--vc-font-size);
    line-height: 1.4;
    text-align: start;
  }
  [part~='stage'] {
    position: relative;
    flex: 1;
    min-height: 0;
    overflow: hidden;
  }
  [part~='grid'] {
    /* Out of flow, so the tiles never size the stage they are laid out in. */
    position: absolute;
    inset: var(--vc-gap);
    display: grid;
    gap: var(--vc-gap);
    justify-content: center;
    align-content: center;
  }
  [part~='tile'] {
    position: relative;
    overflow: hidden;
    border-radius: var(--vc-radius);
    background: var(--vc-tile-background);
  }
  /* The speaking ring: over the video (an inset shadow on the tile itself is painted under it), and
     faded by opacity, which the compositor animates without repainting the tile on every frame. */
  [part~='tile']::after {
    content: '';
    position: absolute;
    inset: 0;
    z-index: 1;
    border-radius: inherit;
    box-shadow: inset 0 0 0 3px var(--vc-speaking);
    opacity: 0;
    transition: opacity 120ms ease-out;
    pointer-events: none;
  }
  [part~='tile'].speaking::after {
    opacity: 1;
  }
  [part~='video'] {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    object-fit: contain;
    background: var(--vc-video-background);
  }
  [part~='tile-local'] video[part~='video'] {
    transform: scaleX(-1); /* a self-view is a mirror */
  }
  [part~='avatar'] {
    position: absolute;
    inset: 0;
    display: flex;
    align-items: center;
    justify-content: center;
    font-size: 2rem;
    font-weight: 600;
    color: var(--vc-muted-text);
    background: var(--vc-tile-background);
  }
  [part~='label'] {
    position: absolute;
    left: 8px;
    bottom: 8px;
    max-width: calc(100% - 16px);
    display: flex;
    gap: 6px;
    align-items: center;
    padding: 2px 8px;
    border-radius: 6px;
    background: var(--vc-label-background);
    color: var(--vc-label-text);
    font-size: 0.85rem;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  [part~='indicator'] {
    color: var(--vc-indicator);
    display: inline-flex;
  }
  [part~='indicator'] svg,
  [part~='control'] svg {
    width: 1em;
    height: 1em;
    fill: currentColor;
  }
  [part~='lock'][part~='verified'] {
    color: var(--vc-speaking);
  }
  /* Sound with a share is news, not a warning. */
  [part~='screen-audio'] {
    color: inherit;
  }
  [part~='lock'][part~='unverified'],
  [part~='lock'][part~='pending'],
  [part~='lock'][part~='self'] {
    color: var(--vc-label-text);
  }
  [part~='cant-decrypt'] svg {
    width: 2rem;
    height: 2rem;
    fill: currentColor;
  }
  [part~='safety-code'] {
    font-family: ui-monospace, monospace;
    font-size: 0.8rem;
  }
  [part~='cant-decrypt'] {
    flex-direction: column;
    gap: 8px;
    padding: 16px;
    font-size: 0.9rem;
    font-weight: 500;
    text-align: center;
    color: var(--vc-danger-text);
  }
  [part~='notice'] {
    position: absolute;
    inset: auto var(--vc-gap) var(--vc-gap) var(--vc-gap);
    z-index: 2;
    padding: 10px 14px;
    border-radius: 8px;
    background: var(--vc-panel-background);
    border-left: 4px solid var(--vc-accent);
    font-size: 0.9rem;
  }
  [part~='notice'].error {
    border-left-color: var(--vc-danger);
  }
  /* Stays for as long as the relay is away: at the top, off the names at the tiles' feet. */
  [part~='reconnecting'] {
    inset: var(--vc-gap) auto auto 50%;
    transform: translateX(-50%);
    white-space: nowrap;
  }
  [part~='overlay'] {
    position: absolute;
    inset: 0;
    z-index: 3;
    display: flex;
    flex-direction: column;
    gap: 12px;
    align-items: center;
    justify-content: center;
    text-align: center;
    padding: 24px;
    background: var(--vc-overlay-background);
  }
  [part~='controls'] {
    display: flex;
    justify-content: center;
    gap: 12px;
    padding: 10px;
  }
  button {
    font: inherit;
    color: inherit;
    cursor: pointer;
  }
  [part~='control'] {
    width: var(--vc-control-size);
    height: var(--vc-control-size);
    border-radius: 50%;
    border: none;
    background: var(--vc-control-background);
    font-size: 1.2rem;
    display: inline-flex;
    align-items: center;
    justify-content: center;
  }
  /* Off is an alarm only for what others then miss: the mic and the camera. Other toggles are neutral when off. */
  [part~='mic-button'][aria-pressed='false'],
  [part~='camera-button'][aria-pressed='false'] {
    background: var(--vc-danger);
    color: var(--vc-on-action);
  }
  [part~='leave-button'] {
    background: var(--vc-danger);
    color: var(--vc-on-action);
    width: auto;
    padding: 0 18px;
    border-radius: 22px;
    font-size: 0.95rem;
  }
  [part~='control']:focus-visible,
  [part~='action']:focus-visible {
    outline: 2px solid var(--vc-accent);
    outline-offset: 2px;
  }
  [part~='hear-button'] {
    position: absolute;
    top: 16px;
    left: 50%;
    transform: translateX(-50%);
    z-index: 2;
  }
  [part~='lobby'] {
    position: absolute;
    top: var(--vc-gap);
    right: var(--vc-gap);
    z-index: 2;
    display: flex;
    flex-direction: column;
    gap: 8px;
    padding: 10px 14px;
    border-radius: 8px;
    background: var(--vc-panel-background);
    font-size: 0.9rem;
  }
  [part~='knock'] {
    display: flex;
    align-items: center;
    gap: 8px;
  }
  [part~='knock-name'] {
    flex: 1;
  }
  [part~='deny-button'] {
    background: var(--vc-danger);
  }
  [part~='action'] {
    border: none;
    border-radius: 8px;
    padding: 8px 16px;
    background: var(--vc-action);
    color: var(--vc-on-action);
  }
  [part~='settings'] {
    position: absolute;
    top: var(--vc-gap);
    right: var(--vc-gap);
    z-index: 4;
    width: min(320px, calc(100% - 2 * var(--vc-gap)));
    max-height: calc(100% - 2 * var(--vc-gap));
    overflow: auto;
    box-sizing: border-box;
    display: flex;
    flex-direction: column;
    gap: 12px;
    padding: 12px 14px 14px;
    border-radius: var(--vc-radius);
    /* Opaque over the video, whatever alpha the panel colour has (as the chat panel). */
    background: linear-gradient(var(--vc-panel-background), var(--vc-panel-background)), var(--vc-background);
    box-shadow: 0 4px 24px rgb(0 0 0 / 40%);
    font-size: 0.9rem;
  }
  [part~='settings-header'] {
    display: flex;
    align-items: center;
    justify-content: space-between;
  }
  [part~='settings-title'] {
    margin: 0;
    font-size: 1rem;
    font-weight: 600;
  }
  [part~='close-button'] {
    padding: 4px 10px;
    background: transparent;
    color: inherit;
  }
  [part~='setting'] {
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
  [part~='setting-label'] {
    color: var(--vc-muted-text);
  }
  [part~='device-select'] {
    font: inherit;
    color: var(--vc-text);
    background: var(--vc-tile-background);
    border: 1px solid var(--vc-muted-text);
    border-radius: 6px;
    padding: 6px 8px;
    min-width: 0;
  }
  [part~='device-select']:focus-visible,
  [part~='close-button']:focus-visible {
    outline: 2px solid var(--vc-accent);
    outline-offset: 2px;
  }
  [part~='setting-note'] {
    margin: 0;
    color: var(--vc-muted-text);
  }
  /* Live regions: heard, not seen (what they say is on screen in other forms). */
  [part~='announcer'] {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;

/** The chat button's unread badge (the chat panel styles itself). */
export const chatButtonStyles = css`
  [part~='chat-button'] {
    position: relative;
  }
  [part~='chat-button'][aria-expanded='true'] {
    background: var(--vc-accent);
  }
  [part~='badge'] {
    position: absolute;
    top: -4px;
    right: -4px;
    min-width: 18px;
    height: 18px;
    padding: 0 4px;
    box-sizing: border-box;
    border-radius: 9px;
    background: var(--vc-danger);
    color: #fff;
    font-size: 0.7rem;
    font-weight: 700;
    line-height: 18px;
    text-align: center;
  }
`;

/** The raise-hand control (pressed while the hand is up) and the hand on a tile. */
export const handStyles = css`
  [part~='hand-button'][aria-pressed='false'] {
    background: var(--vc-control-background);
  }
  [part~='hand-button'][aria-pressed='true'] {
    background: var(--vc-hand, #f5b700);
    color: #111318;
  }
  [part~='hand-raised'] {
    color: var(--vc-hand, #f5b700);
  }
`;
