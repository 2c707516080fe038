/**
 * Opens and closes the element's stats panel. The panel's code is fetched with
 * a dynamic `import()` the first time it opens; until then only this small
 * controller is in the bundle.
 */
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import type { CallStats } from '../call/call-stats.js';
import './quality-strings.js';

/** The panel's parts (as `STATS_PANEL_PARTS` in stats-panel.ts, kept here so this module does not load it). */
const PARTS =
  'stats-panel, stats-header, stats-title, stats-close, stats-summary, stats-body, stats-table, stats-caption, stats-row, stats-label, stats-value, stats-empty';

export class StatsPanelController implements ReactiveController {
  /** True while the panel is shown. */
  open = false;
  private loading: Promise<unknown> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement & { readonly renderRoot: ParentNode },
    /** Where focus goes back when the panel closes. */
    private readonly returnFocus: () => HTMLElement | null,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** Loads the panel (once) and shows it, focus inside. */
  async show(): Promise<void> {
    this.loading ??= import('./stats-panel.js');
    await this.loading;
    this.open = true;
    this.host.requestUpdate();
    await this.host.updateComplete;
    this.host.renderRoot.querySelector<HTMLElement>('videocall-stats-panel')?.focus();
  }

  /** Hides the panel; focus goes back where it came from. */
  hide(): void {
    if (!this.open) return;
    this.open = false;
    this.host.requestUpdate();
    void this.host.updateComplete.then(() => this.returnFocus()?.focus());
  }

  /** The panel while open, reading `source` once a second. */
  render(source: () => Promise<CallStats>, lang: string): TemplateResult | typeof nothing {
    if (!this.open) return nothing;
    return html`<videocall-stats-panel
      exportparts=${PARTS}
      .lang=${lang}
      .source=${source}
      .close=${() => this.hide()}
    ></videocall-stats-panel>`;
  }
}
