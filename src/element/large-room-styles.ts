import { css } from 'lit';

/** The look of screen shares, the speaker layout, the active speaker and the pager. */
export const largeRoomStyles = css`
  /* The active speaker: a thicker ring and a sign in the name bar (not colour alone). */
  [part~='tile'][part~='active-speaker']::after {
    box-shadow: inset 0 0 0 4px var(--vc-speaking);
    opacity: 1;
  }
  [part~='speaking-indicator'] {
    color: var(--vc-speaking);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  [part~='tile-screen'] [part~='video'] {
    background: #000;
  }
  [part~='screen-button'][aria-pressed='false'] {
    background: var(--vc-control-background);
  }
  [part~='screen-button'][aria-pressed='true'] {
    background: var(--vc-accent);
    color: var(--vc-on-action);
  }
  [part~='speaker-layout'] {
    position: absolute;
    inset: var(--vc-gap);
    display: flex;
    flex-direction: column;
    gap: var(--vc-gap);
  }
  [part~='featured'] {
    flex: 1;
    min-height: 0;
    display: flex;
  }
  [part~='featured'] > [part~='tile'] {
    flex: 1;
  }
  [part~='filmstrip'] {
    flex: none;
    height: var(--vc-strip-height, 120px);
    display: flex;
    gap: var(--vc-gap);
    justify-content: center;
  }
  [part~='strip-slot'] {
    display: flex;
    height: 100%;
    aspect-ratio: 16 / 9;
  }
  [part~='strip-slot'] > [part~='tile'] {
    flex: 1;
  }
  [part~='pager'] {
    display: flex;
    align-items: center;
    justify-content: center;
    gap: 12px;
    padding: 6px 10px 0;
    font-size: 0.9rem;
  }
  [part~='pager-button'] {
    --vc-control-size: 32px;
  }
  [part~='pager-button']:disabled {
    opacity: 0.4;
    cursor: default;
  }
`;
