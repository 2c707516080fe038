import { nothing, type ElementPart } from 'lit';
import { AsyncDirective, directive, PartType, type PartInfo } from 'lit/async-directive.js';
import type { RemoteParticipant } from '../call/remote-participant.js';
import { VideoRenderer } from '../render/video-renderer.js';

/**
 * Which directive draws each participant now. A tile re-rendered with a new
 * template (e.g. after a key mismatch) gets a new canvas whose directive attaches
 * before the old one detaches: only the owner may take the sink away.
 */
const owners = new WeakMap<RemoteParticipant, RemoteVideoDirective>();

/**
 * Draws a remote participant's video into the `<canvas>` it is placed on. The
 * canvas owns its {@link VideoRenderer} for as long as it shows that participant:
 * the sink is attached when the canvas is rendered and detached when it leaves
 * the DOM (tile removed, call ended, element removed), and attached again when
 * the element is put back.
 */
class RemoteVideoDirective extends AsyncDirective {
  private canvas: HTMLCanvasElement | null = null;
  private participant: RemoteParticipant | null = null;
  private renderer: VideoRenderer | null = null;

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new Error('remoteVideo() belongs on a <canvas> element');
  }

  render(_participant: RemoteParticipant): typeof nothing {
    return nothing;
  }

  override update(part: ElementPart, [participant]: [RemoteParticipant]): typeof nothing {
    if (participant !== this.participant) this.detach();
    this.canvas = part.element as HTMLCanvasElement;
    this.participant = participant;
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
    const { canvas, participant } = this;
    if (!canvas || !participant || this.renderer) return;
    const renderer = new VideoRenderer(canvas);
    this.renderer = renderer;
    owners.set(participant, this);
    participant.setVideoSink((frame) => renderer.draw(frame));
  }

  private detach(): void {
    const { participant, renderer } = this;
    if (!renderer) return;
    renderer.close();
    this.renderer = null;
    if (participant && owners.get(participant) === this) {
      owners.delete(participant);
      participant.setVideoSink(null);
    }
  }
}

/** `<canvas ${remoteVideo(participant)}>`: that participant's decoded video, drawn as it comes. */
export const remoteVideo = directive(RemoteVideoDirective);
