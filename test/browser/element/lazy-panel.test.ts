/// <reference types="mocha" />
// lazyPanel(): a panel's module is fetched the first time the panel shows, the host
// renders it when it arrives, and a module that cannot be fetched is reported once
// per attempt and tried again the next time (never a render loop).
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { LitElement, nothing, type TemplateResult } from 'lit';
import { languageReady } from '../../../src/element/languages.js';
import { lazyPanel } from '../../../src/element/lazy-panel.js';

// The panel speaks Italian here: the element loads a built-in language before it renders; this bare host does it first.
await languageReady('it');

type SettingsModule = typeof import('../../../src/element/device-settings.js');

class LazyHost extends LitElement {
  open = false;
  imports = 0;
  errors: unknown[] = [];
  renders = 0;
  importer: () => Promise<SettingsModule> = () => {
    this.imports++;
    return import('../../../src/element/device-settings.js');
  };
  readonly panel = lazyPanel(
    this,
    () => this.importer(),
    (error) => this.errors.push(error),
  );

  override render(): TemplateResult {
    this.renders++;
    return html`<div id="stage">
      ${
        this.open
          ? this.panel.render(({ deviceSettings }) =>
              deviceSettings({
                lang: 'it',
                devices: { camera: [], mic: [], speaker: [] },
                selected: () => '',
                speakerSelectable: true,
                onSelect: () => undefined,
                onClose: () => undefined,
              }),
            )
          : nothing
      }
    </div>`;
  }
}
customElements.define('lazy-panel-host', LazyHost);

const panelOf = (host: LazyHost): HTMLElement | null => host.shadowRoot!.querySelector('[part~="settings"]');

describe('lazyPanel', () => {
  it('fetches the module the first time the panel shows, renders it, and never again', async () => {
    const host = await fixture<LazyHost>(html`<lazy-panel-host></lazy-panel-host>`);
    expect(host.imports).to.equal(0);
    expect(host.panel.module).to.equal(undefined);

    host.open = true;
    host.requestUpdate();
    await host.updateComplete;
    // Not there yet on the first render: nothing, while the chunk loads.
    await waitUntil(() => panelOf(host), 'the panel never showed');
    expect(panelOf(host)!.textContent).to.include('Impostazioni');
    expect(host.imports).to.equal(1);

    host.open = false;
    host.requestUpdate();
    await host.updateComplete;
    expect(panelOf(host)).to.equal(null);
    host.open = true;
    host.requestUpdate();
    await host.updateComplete;
    // Loaded once: shown on the same render, without a second import.
    expect(panelOf(host)).not.to.equal(null);
    expect(host.imports).to.equal(1);
    expect(await host.panel.load()).to.equal(host.panel.module);
    expect(host.errors).to.deep.equal([]);
  });

  it('reports a module that cannot be fetched once per attempt, and tries again on the next render', async () => {
    const host = await fixture<LazyHost>(html`<lazy-panel-host></lazy-panel-host>`);
    let attempts = 0;
    host.importer = () => {
      attempts++;
      // A real fetch of a chunk the server does not have, as after a deploy removed it.
      return import(`/no-such-chunk-${Date.now()}.js`) as Promise<SettingsModule>;
    };
    host.open = true;
    host.requestUpdate();
    await host.updateComplete;
    host.requestUpdate(); // a second render while the first fetch is under way: no second fetch
    await host.updateComplete;
    await waitUntil(() => host.errors.length === 1, 'the failed fetch was not reported');
    expect(attempts).to.equal(1);
    const renders = host.renders;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(host.renders, 'a failure made the host render again').to.equal(renders);
    expect(panelOf(host)).to.equal(null);

    // The next render tries again; a load() caller sees the failure too.
    host.requestUpdate();
    await host.updateComplete;
    await waitUntil(() => host.errors.length === 2, 'the second attempt was not reported');
    expect(attempts).to.equal(2);
    let rejected = false;
    await host.panel.load().catch(() => (rejected = true));
    expect(rejected).to.equal(true);
    expect(attempts).to.equal(3);
  });
});
