import { nothing, type ReactiveControllerHost } from 'lit';

/**
 * A panel whose module is fetched with a dynamic `import()` the first time it is
 * shown, so the plain call's bundle does not carry it (issue 15's size budget):
 * the build puts the module in a chunk of its own (`dist/chunks/`), the classic
 * script inlines it.
 *
 * ```ts
 * private readonly settingsPanel = lazyPanel(this, () => import('./device-settings.js'));
 * // in render():
 * ${this.settingsOpen ? this.settingsPanel.render((m) => m.deviceSettings({ … })) : nothing}
 * // to focus it once it is there:
 * void this.settingsPanel.load().then(() => this.updateComplete).then(() => …focus());
 * ```
 */
export interface LazyPanel<M> {
  /** The module once it arrived; undefined before. */
  readonly module: M | undefined;
  /** Fetches the module (once; again after a failure) and resolves with it. */
  load(): Promise<M>;
  /**
   * `view(module)` once the module is there; `nothing` while it loads (the load
   * starts here, and the host renders again when it arrives) or after it failed.
   */
  render<R>(view: (module: M) => R): R | typeof nothing;
}

/**
 * A {@link LazyPanel} of `host` loading `importer()`. A failed load (the chunk
 * could not be fetched) goes to `onError` (default: the page's `reportError`,
 * which fires `error` on window) and is retried the next time the panel is
 * rendered or loaded; a failure never makes the host render again by itself.
 */
export function lazyPanel<M>(
  host: ReactiveControllerHost,
  importer: () => Promise<M>,
  onError: (error: unknown) => void = (error) => globalThis.reportError?.(error),
): LazyPanel<M> {
  let module: M | undefined;
  let pending: Promise<M> | undefined;
  const load = (): Promise<M> => {
    if (module !== undefined) return Promise.resolve(module);
    if (!pending) {
      pending = importer().then(
        (loaded) => {
          module = loaded;
          host.requestUpdate();
          return loaded;
        },
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
      pending.catch(onError); // once per attempt, however many renders wait for it
    }
    return pending;
  };
  return {
    get module() {
      return module;
    },
    load,
    render(view) {
      if (module !== undefined) return view(module);
      load().catch(() => undefined); // reported by onError
      return nothing;
    },
  };
}
