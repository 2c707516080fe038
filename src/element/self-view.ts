import { nothing, type ElementPart } from 'lit';
import { AsyncDirective, directive, PartType, type PartInfo } from 'lit/async-directive.js';

/**
 * Every `<video>` the element shows carries `tabindex="-1"`: Firefox (153 ESR)
 * puts a `<video>` in the Tab order even without `controls`, twice (the video,
 * then its own widget, with no visible ring), so a keyboard user went through
 * the self-view before reaching the controls. The tile's group label says who
 * it is; the picture itself is nothing to operate.
 */
export const VIDEO_TABINDEX = '-1';

/**
 * Shows a local camera track in the `<video>` it is placed on, and replaces the
 * stream only when the track changes (camera turned off and on again).
 */
class SelfViewDirective extends AsyncDirective {
  private video: HTMLVideoElement | null = null;

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new Error('selfView() belongs on a <video> element');
  }

  render(_track: MediaStreamTrack | null): typeof nothing {
    return nothing;
  }

  override update(part: ElementPart, [track]: [MediaStreamTrack | null]): typeof nothing {
    const video = part.element as HTMLVideoElement;
    this.video = video;
    const current = (video.srcObject as MediaStream | null)?.getVideoTracks()[0] ?? null;
    if (track === current) return nothing;
    video.srcObject = track ? new MediaStream([track]) : null;
    if (track) play(video);
    return nothing;
  }

  /** A video out of the document for longer than a task is paused by the browser: start it again. */
  protected override reconnected(): void {
    if (this.video?.srcObject && this.video.paused) play(this.video);
  }
}

function play(video: HTMLVideoElement): void {
  // Rejected when a newer srcObject interrupts it, or before the page may play: the next track plays.
  void video.play().catch(() => undefined);
}

/** `<video ${selfView(track)}>`: the local camera, as a person sees themselves. */
export const selfView = directive(SelfViewDirective);
