/* eslint-disable @typescript-eslint/no-unsafe-declaration-merging -- the interface only adds typed overloads to the class */
/**
 * An EventTarget whose `addEventListener` knows each event's type. Listener
 * errors never break the emitter: EventTarget reports them and goes on.
 */
export interface TypedEventTarget<M extends Record<string, Event>> {
  addEventListener<K extends keyof M & string>(
    type: K,
    listener: ((event: M[K]) => void) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof M & string>(
    type: K,
    listener: ((event: M[K]) => void) | null,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
}

export class TypedEventTarget<M extends Record<string, Event>> extends EventTarget {
  /** Dispatches an event of a type declared in the map. */
  emit<K extends keyof M & string>(event: M[K] & { type: K }): void {
    this.dispatchEvent(event);
  }
}
