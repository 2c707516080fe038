/**
 * Where a WebTransport join's time goes: each step of the element's
 * `transport="webtransport"` join timed in a real headless Chromium page against
 * a real relay, next to a bare `new WebTransport(url, { serverCertificateHashes })`
 * + `ready` from the same page. With `--busy`, a two-page call (720p synthetic
 * camera each way) runs meanwhile, as on the busy machine of issue 17.
 *
 * Steps (ms after the element is appended): the `webtransport.json` fetch
 * started/answered, `new WebTransport` called, `ready`, the control stream open,
 * the first `Join` write, `vc-joined`. Each page's steps come from wrapping
 * `fetch` and `WebTransport` before the page's scripts run; nothing in the
 * element is changed for it.
 *
 *     npx tsx bench/wt-join-steps.ts [--joins 8] [--busy] [--transport webtransport|websocket|auto]
 */
import { fileURLToPath } from 'node:url';
import { launchBenchChromium, percentile, poll, sleep, startBenchSite } from './chromium.js';
import { JOIN_PAGE } from './join-time.js';
import { syntheticCameraScript } from './synthetic-camera.js';

/** Step name → ms after the element was appended (first occurrence). */
type Steps = Record<string, number>;

/** Installed before the page's scripts: stamps each step of the join into `window.__steps`. */
const STEP_CLOCK = `(() => {
  const steps = {};
  globalThis.__steps = steps;
  let t0 = 0;
  const mark = (name) => { if (!(name in steps)) steps[name] = performance.now() - t0; };
  const append = Element.prototype.append;
  Element.prototype.append = function (...nodes) {
    const el = nodes.find((n) => n && n.localName === 'videocall-room');
    if (el) {
      const transport = new URLSearchParams(location.search).get('transport');
      if (transport) el.setAttribute('transport', transport);
      t0 = performance.now();
    }
    return append.apply(this, nodes);
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = function (input, init) {
    const url = String(input && input.url ? input.url : input);
    if (!url.endsWith('webtransport.json')) return realFetch.call(this, input, init);
    mark('info fetch started');
    return realFetch.call(this, input, init).then((r) => { mark('info answered'); return r; });
  };
  const RealWT = globalThis.WebTransport;
  if (RealWT) {
    globalThis.WebTransport = class extends RealWT {
      constructor(url, options) {
        mark('new WebTransport');
        super(url, options);
        this.ready.then(() => mark('ready'), () => mark('ready failed'));
      }
      async createBidirectionalStream(options) {
        const s = await super.createBidirectionalStream(options);
        mark('control stream open');
        const writer = s.writable.getWriter();
        const tapped = new WritableStream({
          write(chunk) { mark('first control write (Join)'); return writer.write(chunk); },
          close() { return writer.close(); },
          abort(r) { return writer.abort(r); },
        });
        return { readable: s.readable, writable: tapped };
      }
    };
  }
  // What else the join starts, to see what holds the page's main thread.
  const wrapCall = (obj, key, label) => {
    const real = obj && obj[key];
    if (typeof real !== 'function') return;
    obj[key] = function (...a) {
      mark(label + ' called');
      const t = performance.now();
      const out = real.apply(this, a);
      const spent = performance.now() - t;
      if (spent > 5) steps[label + ' sync ms (' + Object.keys(steps).length + ')'] = spent;
      if (out && typeof out.then === 'function') out.then(() => mark(label + ' resolved'), () => mark(label + ' failed'));
      return out;
    };
  };
  wrapCall(navigator.mediaDevices, 'getUserMedia', 'getUserMedia');
  wrapCall(VideoEncoder, 'isConfigSupported', 'VideoEncoder.isConfigSupported');
  wrapCall(VideoDecoder, 'isConfigSupported', 'VideoDecoder.isConfigSupported');
  const RealAC = globalThis.AudioContext;
  globalThis.AudioContext = class extends RealAC {
    constructor(...a) { mark('new AudioContext'); const t = performance.now(); super(...a); steps['new AudioContext sync ms'] = performance.now() - t; }
  };
  const RealWorker = globalThis.Worker;
  globalThis.Worker = class extends RealWorker {
    constructor(...a) { mark('new Worker'); super(...a); }
  };
  const RealWS = globalThis.WebSocket;
  globalThis.WebSocket = class extends RealWS {
    constructor(...a) {
      mark('new WebSocket');
      super(...a);
      this.addEventListener('open', () => mark('websocket open'));
    }
    send(data) { mark('first ws send (Join)'); return super.send(data); }
  };
  document.addEventListener('vc-joined', (e) => { mark('vc-joined'); steps.transport = e.transport; });
  document.addEventListener('vc-transport-changed', (e) => mark('vc-transport-changed to ' + e.transport));
})();`;

/** A bare WebTransport from the page: fetch the info, then new WebTransport + ready, timed separately. */
async function bareConnect(page: import('playwright-core').Page): Promise<{ infoMs: number; readyMs: number }> {
  return page.evaluate(async () => {
    const t0 = performance.now();
    const info = (await (await fetch('/webtransport.json', { cache: 'no-store' })).json()) as {
      port: number;
      path: string;
      serverCertificateHashes: { algorithm: string; value: string }[];
    };
    const t1 = performance.now();
    const hashes = info.serverCertificateHashes.map((h) => ({
      algorithm: h.algorithm,
      value: Uint8Array.from(atob(h.value), (c) => c.charCodeAt(0)),
    }));
    const wt = new WebTransport(`https://127.0.0.1:${info.port}${info.path}`, {
      serverCertificateHashes: hashes,
    } as WebTransportOptions);
    await wt.ready;
    const t2 = performance.now();
    wt.close();
    return { infoMs: t1 - t0, readyMs: t2 - t1 };
  });
}

async function main(): Promise<void> {
  const arg = (name: string): string | undefined => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? process.argv[at + 1] : undefined;
  };
  const joins = Number(arg('--joins') ?? 8);
  const transport = arg('--transport') ?? 'webtransport';
  const busy = process.argv.includes('--busy');
  const site = await startBenchSite({ 'join.html': JOIN_PAGE });
  const browser = await launchBenchChromium();
  const all: Steps[] = [];
  const bare: { infoMs: number; readyMs: number }[] = [];
  try {
    if (busy) {
      const camera = syntheticCameraScript({ width: 1280, height: 720, barcode: false });
      await browser.newPage(`${site.url}/?room=busy&name=A`, camera);
      await browser.newPage(`${site.url}/?room=busy&name=B`, camera);
      await sleep(3000);
    }
    for (let i = 0; i < joins; i++) {
      const room = `steps-${i}`;
      const page = await browser.newPage(`${site.url}/join.html?room=${room}&transport=${transport}`, STEP_CLOCK);
      const steps = await poll(
        () =>
          page.evaluate(() => {
            const s = (globalThis as unknown as { __steps: Steps }).__steps;
            return 'vc-joined' in s ? { ...s } : undefined;
          }),
        20_000,
        20,
      );
      if (steps) all.push(steps);
      bare.push(await bareConnect(page));
      await page.close();
      await sleep(300);
    }
  } finally {
    await browser.close();
    await site.close();
  }
  const on = (kind: string): number => all.filter((s) => (s.transport as unknown) === kind).length;
  const names = [...new Set(all.flatMap((s) => Object.keys(s)))]
    .filter((n) => n !== 'transport')
    .sort((a, b) => (all[0]?.[a] ?? 1e9) - (all[0]?.[b] ?? 1e9));
  const p = (xs: number[], q: number): string =>
    percentile(
      [...xs].sort((a, b) => a - b),
      q,
    ).toFixed(0);
  console.log(
    `${transport} join steps, ${all.length} joins${busy ? ', a two-page 720p call running' : ''} (ms after append; p50 / max):`,
  );
  console.log(`  joined on webtransport ${on('webtransport')}, on websocket ${on('websocket')}`);
  for (const name of names) {
    const xs = all.map((s) => s[name]).filter((x): x is number => x !== undefined);
    console.log(`  ${name.padEnd(28)} ${p(xs, 0.5).padStart(6)} / ${Math.max(...xs).toFixed(0)}`);
  }
  const infos = bare.map((b) => b.infoMs);
  const readies = bare.map((b) => b.readyMs);
  console.log(
    `  bare from the same page: info fetch ${p(infos, 0.5)} / ${Math.max(...infos).toFixed(0)}, ` +
      `new WebTransport → ready ${p(readies, 0.5)} / ${Math.max(...readies).toFixed(0)}`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
