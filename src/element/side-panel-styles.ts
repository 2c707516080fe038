import { css, unsafeCSS, type CSSResult } from 'lit';

/** Names of a side panel's structural parts. */
export interface SidePanelParts {
  /** The panel's own part (`chat`, `people-panel`, `stats-panel`). */
  root: string;
  header: string;
  title: string;
}

/**
 * The box every side panel (chat, People, statistics) sits in over the stage,
 * its header and title: one look, and the same opaque background, for all.
 * Each panel adds its own rules after these.
 */
export function sidePanelStyles(parts: SidePanelParts, side: 'left' | 'right' = 'right'): CSSResult {
  const root = unsafeCSS(`[part~='${parts.root}']`);
  const header = unsafeCSS(`[part~='${parts.header}']`);
  const title = unsafeCSS(`[part~='${parts.title}']`);
  const edge = unsafeCSS(side);
  return css`
    :host {
      position: absolute;
      z-index: 4;
      top: var(--vc-gap, 8px);
      ${edge}: var(--vc-gap, 8px);
      bottom: var(--vc-gap, 8px);
      width: min(22rem, calc(100% - 2 * var(--vc-gap, 8px)));
      display: flex;
    }
    ${root} {
      flex: 1;
      display: flex;
      flex-direction: column;
      min-height: 0;
      border-radius: var(--vc-radius, 10px);
      /* The panel colour may be translucent: laid over the element's own background, the video beneath never shows through. */
      background:
        linear-gradient(
          var(--vc-panel-background, rgb(20 22 28 / 96%)),
          var(--vc-panel-background, rgb(20 22 28 / 96%))
        ),
        var(--vc-background, #111318);
      color: var(--vc-text, #f2f4f7);
      font-size: 0.9rem;
      overflow: hidden;
    }
    ${header} {
      display: flex;
      align-items: center;
      padding: 8px 8px 8px 14px;
      border-bottom: 1px solid rgb(127 127 127 / 25%);
    }
    ${title} {
      flex: 1;
      margin: 0;
      font-size: 1rem;
    }
  `;
}
