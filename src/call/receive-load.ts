/**
 * Runs the {@link ReceiveAdaptation} of a call: once a second it reads what the
 * remote cameras' decoders lost to load and, when the page falls behind, has
 * the room receive smaller simulcast layers (and the publishers then stop
 * encoding the larger ones nobody watches); back up after a calm spell.
 */
import { ReceiveAdaptation, type ReceiveAdaptationOptions, type ReceiveLoadCounters } from './receive-adaptation.js';

/** What video is received at now, and why it is smaller than the tiles ask. */
export interface ReceiveQuality {
  /** Remote cameras are received at most this tall; null: as large as their tiles ask. */
  maxHeight: number | null;
  /** `cpu`: this page's decoders fell behind. Null when nothing is limited. */
  limitedBy: 'cpu' | null;
}

/** What {@link ReceiveLoad} needs from the room. */
export interface ReceiveLoadHooks {
  counters(): ReceiveLoadCounters;
  /** Receive one layer smaller; false when nothing can go lower. */
  stepDown(): boolean;
  /** Receive one layer larger again; false when nothing is limited. */
  stepUp(): boolean;
  /** The height now received at most (null: no limit). */
  maxHeight(): number | null;
  /** The quality changed. */
  changed(quality: ReceiveQuality): void;
}

const CHECK_MS = 1000;

export class ReceiveLoad {
  private readonly adaptation: ReceiveAdaptation;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly hooks: ReceiveLoadHooks,
    options: ReceiveAdaptationOptions = {},
  ) {
    this.adaptation = new ReceiveAdaptation({ checkIntervalMs: CHECK_MS, ...options });
  }

  /** What video is received at now. */
  get quality(): ReceiveQuality {
    const maxHeight = this.hooks.maxHeight();
    return { maxHeight, limitedBy: maxHeight === null ? null : 'cpu' };
  }

  start(): void {
    if (this.timer) return;
    this.adaptation.reset();
    this.check();
    this.timer = setInterval(() => this.check(), CHECK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const now = performance.now();
    const step = this.adaptation.update(now, this.hooks.counters(), this.hooks.maxHeight() !== null);
    if (!step) return;
    const before = this.hooks.maxHeight();
    const taken = step === 'down' ? this.hooks.stepDown() : this.hooks.stepUp();
    this.adaptation.stepped(now, step, taken);
    if (taken && this.hooks.maxHeight() !== before) this.hooks.changed(this.quality);
  }
}
