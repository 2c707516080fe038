/**
 * What the relay sends one receiver, and what it drops when that receiver
 * cannot keep up. The buffer is the link's own (`bufferedAmount`: for a
 * WebSocket, bytes the kernel has not taken yet; for WebTransport, bytes QUIC
 * has not taken yet); this decides, per message, by its priority:
 *
 * 1. control (presence, keyframe requests, pong, errors) is never dropped;
 * 2. above `videoDropBytes`, video is dropped, and that publisher's track then
 *    waits for a keyframe: deltas after a gap would only decode to garbage;
 * 3. above `audioDropBytes`, audio (microphones and screen share audio) is dropped too;
 * 4. above `closeBytes`, or above `audioDropBytes` for `slowConsumerMs`, the
 *    receiver is closed as a slow consumer.
 *
 * Once the buffer drains, a track waiting for a keyframe asks its publisher for
 * one (through `onKeyframeNeeded`, which rate-limits): asking while still
 * congested would only bring a large frame that gets dropped as well.
 */
import { isAudioKind } from './track-kinds.js';
import type { BackpressureLimits } from './config.js';
import { BodyField } from './body-types.js';
import type { ClientLink } from './client-link.js';
import type { DropReason, Metrics } from './metrics.js';

export interface OutboundHooks {
  /** The buffer passed `closeBytes`; called once. */
  onSlowConsumer(): void;
  /** This receiver waits for a keyframe of `publisher`'s `kind` track and can take one now. */
  onKeyframeNeeded(publisher: string, kind: number, layer: number): void;
  /** A video frame is about to go to this receiver with `buffered` bytes waiting: congestion control watches it. */
  videoBacklog?(buffered: number): void;
}

export class Outbound {
  /** Publishers whose tracks wait for a keyframe: bit `1 << kind` per track kind. Made at the first (idle viewers never need it). */
  private awaitingKeyframe: Map<string, number> | undefined;
  private slow = false;
  /** `performance.now()` when the buffer went above the audio limit; 0 while below. */
  private stalledSince = 0;

  constructor(
    private readonly link: ClientLink,
    private readonly limits: BackpressureLimits,
    private readonly metrics: Metrics,
    private readonly hooks: OutboundHooks,
  ) {}

  /** Sends a control message (`body`: its body field number). Returns whether it was sent. */
  control(bytes: Uint8Array, body: number): boolean {
    if (!this.writable()) return false;
    if (this.link.bufferedAmount >= this.limits.closeBytes) return this.tooSlow();
    if (!this.link.sendControl(bytes)) return false;
    this.metrics.countOut(body, bytes.length);
    return true;
  }

  /** Sends a media frame unless this receiver's congestion says to drop it. */
  media(bytes: Uint8Array, publisher: string, kind: number, keyframe: boolean, layer = 0): boolean {
    if (!this.writable()) return false;
    const buffered = this.link.bufferedAmount;
    if (buffered >= this.limits.closeBytes) return this.tooSlow();

    if (buffered >= this.limits.audioDropBytes) {
      const now = performance.now();
      if (this.stalledSince === 0) this.stalledSince = now;
      else if (now - this.stalledSince > this.limits.slowConsumerMs) return this.tooSlow();
    } else {
      this.stalledSince = 0;
    }

    if (isAudioKind(kind)) {
      if (buffered >= this.limits.audioDropBytes) return this.drop('audio-congested');
      return this.send(bytes, publisher, kind, keyframe);
    }

    this.hooks.videoBacklog?.(buffered);
    const bit = 1 << (kind & 31);
    // Per receiver and frame: skip the lookup in the usual case, no track waiting.
    const waiting = !this.awaitingKeyframe?.size ? 0 : (this.awaitingKeyframe.get(publisher) ?? 0);
    if (buffered >= this.limits.videoDropBytes) {
      (this.awaitingKeyframe ??= new Map()).set(publisher, waiting | bit);
      return this.drop('video-congested');
    }
    if (waiting & bit) {
      if (!keyframe) {
        this.hooks.onKeyframeNeeded(publisher, kind, layer);
        return this.drop('video-awaiting-keyframe');
      }
      if (waiting === bit) this.awaitingKeyframe!.delete(publisher);
      else this.awaitingKeyframe!.set(publisher, waiting & ~bit);
    }
    return this.send(bytes, publisher, kind, keyframe);
  }

  /** Forgets per-publisher state when that publisher leaves. */
  forgetPublisher(publisher: string): void {
    this.awaitingKeyframe?.delete(publisher);
    this.link.forgetPublisher?.(publisher);
  }

  private writable(): boolean {
    if (this.link.open && !this.slow) return true;
    this.metrics.dropped.inc('receiver-closed');
    return false;
  }

  /** A media frame to the link, which may still drop it (counted there, with its reason). */
  private send(bytes: Uint8Array, publisher: string, kind: number, keyframe: boolean): boolean {
    if (!this.link.sendMedia(bytes, publisher, kind, keyframe)) return false;
    this.metrics.countOut(BodyField.media, bytes.length);
    return true;
  }

  private drop(reason: DropReason): false {
    this.metrics.dropped.inc(reason);
    return false;
  }

  private tooSlow(): false {
    this.drop('slow-consumer');
    if (!this.slow) {
      this.slow = true;
      this.hooks.onSlowConsumer();
    }
    return false;
  }
}
