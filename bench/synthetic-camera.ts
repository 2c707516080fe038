/**
 * A camera for benchmarks: an init script that replaces `getUserMedia`'s video
 * with a `canvas.captureStream(30)` track. Chromium's fake camera is far easier
 * to encode than a real one (VP8 at 360p undershoots its 530 kbps target by half,
 * keyframes of 1–2 kB), so decode and transport costs measured with it flatter
 * us. This canvas looks more like a webcam to an encoder: a textured background
 * that pans, a subject that moves, and sensor noise on every frame.
 *
 * With `barcode`, the top band also carries the paint time (see {@link BARCODE}):
 * the receiver reads it from its tile to measure glass-to-glass latency.
 */

/**
 * The time code: 32 bits of `performance.timeOrigin + performance.now()` in ms
 * (modulo 2^32), then the same 32 bits inverted as a check, as 64 black or white
 * cells in a band across the top of the picture (`rows`×`columns` cells).
 * Shared by the painter (in the sender page) and the reader (receiver page).
 */
export const BARCODE = { columns: 16, rows: 4, bandFraction: 0.25 } as const;

/** The init script's source; `width`×`height` is the camera's size. */
export function syntheticCameraScript(options: { width: number; height: number; barcode: boolean }): string {
  const config = JSON.stringify({ ...options, ...BARCODE });
  return `(() => {
  const config = ${config};
  const md = navigator.mediaDevices;
  const original = md.getUserMedia.bind(md);
  let track = null;
  function start() {
    const { width: W, height: H } = config;
    const canvas = document.createElement('canvas');
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext('2d', { alpha: false });
    // Background: colored blobs on a canvas twice the size, panned slowly.
    const texture = document.createElement('canvas');
    texture.width = 2 * W;
    texture.height = 2 * H;
    const t = texture.getContext('2d');
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    t.fillStyle = '#556';
    t.fillRect(0, 0, texture.width, texture.height);
    for (let i = 0; i < 900; i++) {
      const x = random() * texture.width, y = random() * texture.height, r = (0.01 + random() * 0.08) * W;
      const g = t.createRadialGradient(x, y, 0, x, y, r);
      const c = 'rgba(' + Math.floor(random() * 255) + ',' + Math.floor(random() * 255) + ',' + Math.floor(random() * 255);
      g.addColorStop(0, c + ',0.9)');
      g.addColorStop(1, c + ',0)');
      t.fillStyle = g;
      t.fillRect(x - r, y - r, 2 * r, 2 * r);
    }
    for (let i = 0; i < 400; i++) {
      t.fillStyle = random() < 0.5 ? 'rgba(0,0,0,0.35)' : 'rgba(255,255,255,0.35)';
      t.fillRect(random() * texture.width, random() * texture.height, 1 + random() * W * 0.01, 1 + random() * H * 0.1);
    }
    // Sensor noise: a few pre-made noise layers, one blended over each frame.
    const noise = [];
    for (let n = 0; n < 6; n++) {
      const layer = document.createElement('canvas');
      layer.width = W;
      layer.height = H;
      const l = layer.getContext('2d');
      const image = l.createImageData(W, H);
      const d = image.data;
      for (let i = 0; i < d.length; i += 4) {
        const v = random() * 255;
        d[i] = d[i + 1] = d[i + 2] = v;
        d[i + 3] = 255;
      }
      l.putImageData(image, 0, 0);
      noise.push(layer);
    }
    let frame = 0;
    const band = config.barcode ? Math.round(H * config.bandFraction) : 0;
    function paint() {
      const now = performance.timeOrigin + performance.now();
      const s = now / 1000;
      ctx.globalAlpha = 1;
      ctx.drawImage(texture, (0.5 + 0.45 * Math.sin(s * 0.4)) * W, (0.5 + 0.45 * Math.cos(s * 0.3)) * H, W, H, 0, 0, W, H);
      // The subject: a head and shoulders that sway.
      const cx = W * (0.5 + 0.12 * Math.sin(s * 1.3)), cy = H * (0.62 + 0.04 * Math.sin(s * 2.1));
      ctx.fillStyle = '#c99';
      ctx.beginPath();
      ctx.ellipse(cx, cy, W * 0.09, H * 0.2, 0.2 * Math.sin(s), 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = '#335';
      ctx.beginPath();
      ctx.ellipse(cx, H * 1.05, W * 0.22, H * 0.3, 0, 0, 2 * Math.PI);
      ctx.fill();
      ctx.globalAlpha = 0.07;
      ctx.drawImage(noise[frame++ % noise.length], 0, 0);
      ctx.globalAlpha = 1;
      if (band > 0) {
        const value = Math.round(now) >>> 0;
        const cw = W / config.columns, ch = band / config.rows;
        for (let i = 0; i < config.columns * config.rows; i++) {
          const bit = i < 32 ? (value >>> i) & 1 : ((value >>> (i - 32)) & 1) ^ 1;
          ctx.fillStyle = bit ? '#fff' : '#000';
          ctx.fillRect((i % config.columns) * cw, Math.floor(i / config.columns) * ch, cw, ch);
        }
      }
    }
    // Painted on a timer, not on animation frames, so a busy or hidden page still
    // produces a steady 30 fps source, as a camera does.
    paint();
    setInterval(paint, 1000 / 30);
    track = canvas.captureStream(30).getVideoTracks()[0];
    return track;
  }
  md.getUserMedia = async (constraints) => {
    if (!constraints || !constraints.video) return original(constraints);
    const rest = { ...constraints, video: false };
    const others = rest.audio ? await original(rest) : new MediaStream();
    const video = (track && track.readyState === 'live' ? track : start()).clone();
    others.addTrack(video);
    return others;
  };
})();`;
}

/**
 * An init script for the page that reads a remote tile: defines
 * `globalThis.vcReadBarcode(source, width, height)`, which decodes the time code
 * {@link syntheticCameraScript} painted into the top band of `source` (a
 * `<video>` or `<canvas>` of `width`×`height`): `{ painted, ageMs }`, the time code
 * (tells one picture from the next) and the picture's age in ms on this page's
 * clock (`performance.timeOrigin + now()`); null when the band does not read (a
 * picture half drawn, or scaled past reading).
 */
export function barcodeReaderScript(): string {
  return `(() => {
  const { columns, rows, bandFraction } = ${JSON.stringify(BARCODE)};
  const copy = document.createElement('canvas');
  copy.width = columns * 4;
  copy.height = rows * 4;
  let ctx = null;
  globalThis.vcReadBarcode = (source, width, height) => {
    ctx ??= copy.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(source, 0, 0, width, Math.round(height * bandFraction), 0, 0, copy.width, copy.height);
    const now = performance.timeOrigin + performance.now();
    const data = ctx.getImageData(0, 0, copy.width, copy.height).data;
    let value = 0;
    for (let i = 0; i < columns * rows; i++) {
      const x = (i % columns) * 4 + 2;
      const y = Math.floor(i / columns) * 4 + 2;
      const p = (y * copy.width + x) * 4;
      const bit = 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2] > 128 ? 1 : 0;
      if (i < 32) value += bit * 2 ** i;
      else if (bit === Math.floor(value / 2 ** (i - 32)) % 2) return null; // the inverted copy must differ
    }
    // 32 bits of ms: the age modulo 2^32, plus the fraction of a ms of now.
    const M = 2 ** 32;
    return { painted: value, ageMs: ((((Math.round(now) - value) % M) + M) % M) + (now - Math.round(now)) };
  };
})();`;
}

/** What {@link barcodeReaderScript} defines in the page. */
export type ReadBarcode = (
  source: CanvasImageSource,
  width: number,
  height: number,
) => { painted: number; ageMs: number } | null;
