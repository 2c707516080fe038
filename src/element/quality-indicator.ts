/**
 * The connection-quality sign on a remote tile: bars (three when good, two when
 * fair, one when poor) with "Connection: poor" as its name and tooltip, so it is
 * never said by colour alone. It updates itself when the room judges the
 * connection again (at most once a second), without re-rendering the tile.
 */
import { css, html, svg, type TemplateResult } from 'lit';
import { AsyncDirective, directive } from 'lit/async-directive.js';
import type { ConnectionQuality } from '../call/connection-quality.js';
import type { RemoteParticipant } from '../call/remote-participant.js';
import { translate } from './i18n.js';
import './quality-strings.js';

/** The indicators on screen now, per participant (a tile may be shown twice, e.g. featured and in the strip). */
const shown = new Map<RemoteParticipant, Set<QualityIndicatorDirective>>();

const BARS: Record<ConnectionQuality, number> = { good: 3, fair: 2, poor: 1 };

function bars(quality: ConnectionQuality): TemplateResult {
  const lit = BARS[quality];
  return svg`<svg viewBox="0 0 24 24" aria-hidden="true">
    <rect x="3" y="15" width="4" height="6" rx="1" class=${lit >= 1 ? 'on' : 'off'}></rect>
    <rect x="10" y="9" width="4" height="12" rx="1" class=${lit >= 2 ? 'on' : 'off'}></rect>
    <rect x="17" y="3" width="4" height="18" rx="1" class=${lit >= 3 ? 'on' : 'off'}></rect>
  </svg>`;
}

function indicator(quality: ConnectionQuality, lang: string): TemplateResult {
  const label = translate(lang, 'stats.connection', { quality: translate(lang, `stats.quality.${quality}`) });
  return html`<span
    part="indicator quality quality-${quality}"
    role="img"
    aria-label=${label}
    title=${label}
    data-quality=${quality}
    >${bars(quality)}</span
  >`;
}

class QualityIndicatorDirective extends AsyncDirective {
  private participant: RemoteParticipant | null = null;
  private lang = 'en';

  render(participant: RemoteParticipant, lang: string): TemplateResult {
    if (participant !== this.participant) {
      this.forget();
      this.participant = participant;
    }
    this.lang = lang;
    this.remember();
    return indicator(participant.quality, lang);
  }

  /** Shows the participant's class now, in place. */
  refresh(): void {
    if (this.participant && this.isConnected) this.setValue(indicator(this.participant.quality, this.lang));
  }

  protected override disconnected(): void {
    this.forget();
  }

  protected override reconnected(): void {
    this.remember();
    this.refresh();
  }

  private remember(): void {
    if (!this.participant) return;
    let set = shown.get(this.participant);
    if (!set) shown.set(this.participant, (set = new Set()));
    set.add(this);
  }

  private forget(): void {
    if (!this.participant) return;
    const set = shown.get(this.participant);
    set?.delete(this);
    if (set?.size === 0) shown.delete(this.participant);
  }
}

/** `${qualityIndicator(participant, lang)}` in a tile's name bar: their connection's bars. */
export const qualityIndicator = directive(QualityIndicatorDirective);

/** The room judged `participant`'s connection again: their indicators show it. */
export function showQuality(participant: RemoteParticipant): void {
  for (const d of shown.get(participant) ?? []) d.refresh();
}

/** The bars' look: lit bars in the class's colour, the others faint; the count says it without colour. */
export const qualityStyles = css`
  [part~='quality'] svg {
    width: 1em;
    height: 1em;
  }
  [part~='quality'] .on {
    fill: currentColor;
  }
  [part~='quality'] .off {
    fill: currentColor;
    opacity: 0.3;
  }
  [part~='quality-good'] {
    color: var(--vc-quality-good, #4cc38a);
  }
  [part~='quality-fair'] {
    color: var(--vc-quality-fair, #f5b700);
  }
  [part~='quality-poor'] {
    color: var(--vc-quality-poor, #ff8589);
  }
`;
