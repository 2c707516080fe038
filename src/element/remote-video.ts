import { nothing, type ElementPart } from 'lit';
import { AsyncDirective, directive, PartType, type PartInfo } from 'lit/async-directive.js';
import type { RemoteParticipant } from '../call/remote-participant.js';
import { CanvasFrameRenderer } from '../render/canvas-renderer.js';
import type { FrameRenderer } from '../render/frame-renderer.js';
import { TrackFrameRenderer } from '../render/track-renderer.js';

/**
 * Which directive draws each participant now. A tile re-rendered with a new
 * template (e.g. after a key mismatch) gets a new element whose directive attaches
 * before the old one detaches: only the owner may take the sink away.
 */
const owners = {
  video: new WeakMap<RemoteParticipant, RemoteVideoDirective>(),
  screen: new WeakMap<RemoteParticipant, RemoteVideoDirective>(),
};

/** Which of a participant's pictures a directive shows: their camera, or their screen share. */
export type RemotePicture = 'video' | 'screen';

/**
 * Shows a remote participant's video in the `<video>` (through a track
 * generator) or `<canvas>` it is placed on. The element owns its renderer for as
 * long as it shows that participant: the sink is attached when the element is
 * rendered and detached when it leaves the DOM (tile removed, call ended,
 * element removed), and attached again when the element is put back.
 */
class RemoteVideoDirective extends AsyncDirective {
  private target: HTMLCanvasElement | HTMLVideoElement | null = null;
  private participant: RemoteParticipant | null = null;
  private renderer: FrameRenderer | null = null;
  private kind: RemotePicture = 'video';

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new Error('remoteVideo() belongs on a <video> or <canvas> element');
  }

  render(_participant: RemoteParticipant, _kind?: RemotePicture): typeof nothing {
    return nothing;
  }

  override update(
    part: ElementPart,
    [participant, kind = 'video']: [RemoteParticipant, RemotePicture?],
  ): typeof nothing {
    if (participant !== this.participant || kind !== this.kind) this.detach();
    this.target = part.element as HTMLCanvasElement | HTMLVideoElement;
    this.participant = participant;
    this.kind = kind;
    if (this.isConnected) this.attach();
    return nothing;
  }

  protected override disconnected(): void {
    this.detach();
  }

  protected override reconnected(): void {
    this.attach();
  }

  private attach(): void {
    const { target, participant } = this;
    if (!target || !participant || this.renderer) return;
    const renderer =
      target instanceof HTMLVideoElement ? new TrackFrameRenderer(target) : new CanvasFrameRenderer(target);
    this.renderer = renderer;
    owners[this.kind].set(participant, this);
    const sink = (frame: VideoFrame) => renderer.draw(frame);
    if (this.kind === 'screen') participant.setScreenSink(sink);
    else participant.setVideoSink(sink);
  }

  private detach(): void {
    const { participant, renderer } = this;
    if (!renderer) return;
    renderer.close();
    this.renderer = null;
    if (participant && owners[this.kind].get(participant) === this) {
      owners[this.kind].delete(participant);
      if (this.kind === 'screen') participant.setScreenSink(null);
      else participant.setVideoSink(null);
    }
  }
}

/**
 * `<video ${remoteVideo(participant)}>` (or `<canvas …>`): that participant's decoded video, shown as it comes;
 * `remoteVideo(participant, 'screen')`: their screen share.
 */
export const remoteVideo = directive(RemoteVideoDirective);
