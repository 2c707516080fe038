import { html, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';

/** How long an announcement stays in the live region (screen readers read it once, on change). */
const CLEAR_AFTER_MS = 7000;

/**
 * What a screen reader should say without moving focus: joins, leaves and
 * errors, through a polite live region (an assertive one for errors). The text
 * is cleared after a while, and set on a fresh tick each time, so the same
 * sentence twice is read twice.
 */
export class Announcer implements ReactiveController {
  /** The sentence now in the polite region and in the assertive one. */
  polite = '';
  assertive = '';
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
  }

  /** Says `text`; `urgent` for errors (interrupts). */
  say(text: string, urgent = false): void {
    this.polite = this.assertive = '';
    this.host.requestUpdate();
    // The region must change after it was empty, or a repeat is not read.
    setTimeout(() => {
      if (urgent) this.assertive = text;
      else this.polite = text;
      this.host.requestUpdate();
    }, 50);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polite = this.assertive = '';
      this.host.requestUpdate();
    }, CLEAR_AFTER_MS);
  }

  /** The two live regions, visually hidden (the same things are shown on screen in other ways). */
  render(): TemplateResult {
    return html`<div part="announcer" role="status" aria-live="polite" aria-atomic="true">${this.polite}</div>
      <div part="announcer urgent" role="alert" aria-live="assertive" aria-atomic="true">${this.assertive}</div>`;
  }
}
