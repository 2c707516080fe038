import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { VideoCallError } from '../call/errors.js';
import type { Room } from '../call/room.js';
import { HandQueue } from './hand-queue.js';

/** What the controller needs from its element. */
export interface PeopleSource {
  /** Where the panel and the People button are rendered. */
  root(): ParentNode | null;
  /** Our display name, as given. */
  name(): string;
  lang(): string;
  /** Brings `id`'s tile into view (their page of the grid or the filmstrip). */
  reveal(id: string): void;
  /** The panel is about to open: close the other side panels (one at a time, as in Meet or Zoom). */
  opening(): void;
}

/**
 * The element's People panel: whether it is open, loading its module the first
 * time it opens (so a plain call does not download it), and the queue of raised
 * hands (kept from the start of the call, open or not, so the order is known
 * when the panel opens). The panel itself reads the room; it renders again
 * whenever the element does (on every change of the room the element shows).
 */
export class PeopleController implements ReactiveController {
  open = false;
  private room: Room | null = null;
  private readonly hands = new HandQueue();
  private loading: Promise<void> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly source: PeopleSource,
  ) {
    host.addController(this);
  }

  /** Follows `room` from now on (a new call starts closed, with an empty queue of hands). */
  bind(room: Room): void {
    this.room = room;
    this.open = false;
    this.hands.clear();
    // From the events, not only from the state at render: two hands raised between renders keep their order.
    room.addEventListener('hand', (e) => {
      if (this.room === room) this.hands.set(e.participantId, e.raised);
    });
  }

  hostUpdate(): void {
    this.syncHands();
  }

  hostUpdated(): void {
    if (this.open) this.source.root()?.querySelector('videocall-people-panel')?.requestUpdate();
  }

  /** How many are in the call, ourselves included. */
  get count(): number {
    return (this.room?.participants.size ?? 0) + 1;
  }

  /** Ids with a hand up (ours is our session id), first raised first. */
  get raisedHands(): string[] {
    this.syncHands();
    return this.hands.ids();
  }

  /**
   * Opens or closes the panel; resolves once it is rendered. The first opening
   * downloads the panel's module; when that fails, rejects with a
   * {@link VideoCallError} `module-load-failed` (and the next opening tries again).
   */
  async toggle(open = !this.open): Promise<void> {
    if (open) {
      await this.load();
      this.source.opening();
    }
    if (this.open !== open) {
      this.open = open;
      this.host.requestUpdate();
    }
    await this.host.updateComplete;
  }

  /** The panel, while open. */
  render(): TemplateResult | typeof nothing {
    const room = this.room;
    if (!this.open || !room) return nothing;
    return html`<videocall-people-panel
      .room=${room}
      .name=${this.source.name()}
      .lang=${this.source.lang()}
      .handPositions=${() => this.hands.positions()}
      .show=${(id: string) => this.source.reveal(id)}
      .close=${() => {
        void this.toggle(false).then(() =>
          this.source.root()?.querySelector<HTMLElement>('[part~="people-button"]')?.focus(),
        );
      }}
    ></videocall-people-panel>`;
  }

  private syncHands(): void {
    const room = this.room;
    if (!room) return;
    const up = [...room.participants.values()].filter((p) => p.handRaised).map((p) => p.id);
    if (room.handRaised) up.push(room.sessionId);
    this.hands.sync(up);
  }

  private load(): Promise<void> {
    this.loading ??= import('./people-panel.js').then(
      () => undefined,
      (cause: unknown) => {
        this.loading = null;
        throw new VideoCallError(
          'module-load-failed',
          'The people list could not be downloaded. Check the connection and try again.',
          { cause },
        );
      },
    );
    return this.loading;
  }
}
