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

/** How {@link syntheticCameraScript} produces its frames. */
export interface SyntheticCameraOptions {
  width: number;
  height: number;
  barcode: boolean;
  /**
   * Paint the camera-like pictures once, in a worker, and play them back from
   * there (a ping-pong loop, so the motion never jumps), stamping only the
   * barcode on each frame. A real camera costs the page next to nothing; the
   * canvas painted on the page's main thread every frame costs a 1280×720 page
   * far more than that, which on a saturated machine is load the bench adds,
   * not the product. The pictures are the same to the encoder.
   */
  prerendered?: boolean;
}

/**
 * The camera-like scene both cameras paint, as script source: `cameraScene(W,
 * H, newCanvas)` builds its texture and noise layers (the same every time: a
 * seeded random) and returns `paint(ctx, seconds, frame)`, which draws the
 * picture at that time: a textured background that pans, a head and shoulders
 * that sway, and one of six sensor-noise layers blended over it.
 */
const CAMERA_SCENE = `
function cameraScene(W, H, newCanvas) {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  // Background: colored blobs on a canvas twice the size, panned slowly.
  const texture = newCanvas(2 * W, 2 * H);
  const t = texture.getContext('2d');
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
    const layer = newCanvas(W, H);
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
  return {
    paint(ctx, s, frame) {
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
      ctx.drawImage(noise[frame % noise.length], 0, 0);
      ctx.globalAlpha = 1;
    },
  };
}`;

/** The init script's source; `width`×`height` is the camera's size. */
export function syntheticCameraScript(options: SyntheticCameraOptions): string {
  if (options.prerendered) return prerenderedCameraScript(options);
  const config = JSON.stringify({ ...options, ...BARCODE });
  return `(() => {
  const config = ${config};
  ${CAMERA_SCENE}
  const md = navigator.mediaDevices;
  const original = md.getUserMedia.bind(md);
  let track = null;
  function start() {
    const { width: W, height: H } = config;
    const canvas = document.createElement('canvas');
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext('2d', { alpha: false });
    const scene = cameraScene(W, H, (w, h) => Object.assign(document.createElement('canvas'), { width: w, height: h }));
    let frame = 0;
    const band = config.barcode ? Math.round(H * config.bandFraction) : 0;
    function paint() {
      const now = performance.timeOrigin + performance.now();
      scene.paint(ctx, now / 1000, frame++);
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

/** How many distinct pictures the prerendered camera plays back and forth (2 s at 30 fps). */
const PRERENDERED_PICTURES = 60;

/**
 * The prerendered camera ({@link SyntheticCameraOptions.prerendered}): a worker
 * paints the same scene as the canvas camera into an `OffscreenCanvas`, keeps
 * each picture as I420, and every 1/30 s writes the next one, with the time code
 * written into its luma, to a `MediaStreamTrackGenerator` whose writable
 * stream the page gave it. Chromium only.
 */
function prerenderedCameraScript(options: SyntheticCameraOptions): string {
  const config = JSON.stringify({ ...options, ...BARCODE, pictures: PRERENDERED_PICTURES });
  const worker = `
const config = ${config};
const { width: W, height: H } = config;
${CAMERA_SCENE}
function scene() {
  const canvas = new OffscreenCanvas(W, H);
  const ctx = canvas.getContext('2d', { alpha: false, willReadFrequently: true });
  const painter = cameraScene(W, H, (w, h) => new OffscreenCanvas(w, h));
  const pictures = [];
  for (let frame = 0; frame < config.pictures; frame++) {
    painter.paint(ctx, frame / 30, frame);
    pictures.push(toI420(ctx.getImageData(0, 0, W, H).data));
  }
  return pictures;
}
// BT.601 limited range, as a camera delivers it.
function toI420(rgba) {
  const out = new Uint8Array(W * H * 1.5);
  const u0 = W * H, v0 = u0 + (W * H) / 4;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * 4;
      out[y * W + x] = 16 + ((66 * rgba[p] + 129 * rgba[p + 1] + 25 * rgba[p + 2]) >> 8);
    }
  }
  for (let y = 0; y < H / 2; y++) {
    for (let x = 0; x < W / 2; x++) {
      const p = (2 * y * W + 2 * x) * 4;
      const r = rgba[p], g = rgba[p + 1], b = rgba[p + 2];
      out[u0 + y * (W / 2) + x] = 128 + ((-38 * r - 74 * g + 112 * b) >> 8);
      out[v0 + y * (W / 2) + x] = 128 + ((112 * r - 94 * g - 18 * b) >> 8);
    }
  }
  return out;
}
function stamp(picture, value) {
  const band = Math.round(H * config.bandFraction);
  const cw = W / config.columns, ch = band / config.rows;
  for (let i = 0; i < config.columns * config.rows; i++) {
    const bit = i < 32 ? (value >>> i) & 1 : ((value >>> (i - 32)) & 1) ^ 1;
    const x0 = Math.round((i % config.columns) * cw), x1 = Math.round(((i % config.columns) + 1) * cw);
    const y0 = Math.round(Math.floor(i / config.columns) * ch), y1 = Math.round((Math.floor(i / config.columns) + 1) * ch);
    for (let y = y0; y < y1; y++) picture.fill(bit ? 235 : 16, y * W + x0, y * W + x1);
  }
  // No colour in the band: the reader takes luma.
  const u0 = W * H, v0 = u0 + (W * H) / 4;
  picture.fill(128, u0, u0 + (band / 2) * (W / 2));
  picture.fill(128, v0, v0 + (band / 2) * (W / 2));
}
onmessage = async ({ data: { writable } }) => {
  const pictures = scene();
  const writer = writable.getWriter();
  const period = config.pictures * 2 - 2;
  const started = performance.now();
  let n = 0;
  // On a steady 1/30 s grid (a late tick does not shift the ones after it), as a camera's clock is.
  const tick = () => {
    const now = performance.timeOrigin + performance.now();
    const k = n % period;
    const picture = pictures[k < config.pictures ? k : period - k];
    if (config.barcode) stamp(picture, Math.round(now) >>> 0);
    const frame = new VideoFrame(picture, { format: 'I420', codedWidth: W, codedHeight: H, timestamp: Math.round(n * 1e6 / 30) });
    // A frame the track cannot take yet is dropped, as a camera drops it.
    if (writer.desiredSize !== null && writer.desiredSize <= 0) frame.close();
    else writer.write(frame).catch(() => frame.close());
    n++;
    setTimeout(tick, Math.max(0, started + (n * 1000) / 30 - performance.now()));
  };
  tick();
};`;
  return `(() => {
  const md = navigator.mediaDevices;
  const original = md.getUserMedia.bind(md);
  let track = null;
  function start() {
    const generator = new MediaStreamTrackGenerator({ kind: 'video' });
    const url = URL.createObjectURL(new Blob([${JSON.stringify(worker)}], { type: 'text/javascript' }));
    const worker = new Worker(url);
    worker.postMessage({ writable: generator.writable }, [generator.writable]);
    globalThis.__vcCameraWorker = worker; // kept alive for the page's life
    return generator;
  }
  md.getUserMedia = async (constraints) => {
    if (!constraints || !constraints.video) return original(constraints);
    const rest = { ...constraints, video: false };
    const others = rest.audio ? await original(rest) : new MediaStream();
    track = track && track.readyState === 'live' ? track : start();
    others.addTrack(track.clone());
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
  const LUMA = { I420: 1, I420A: 1, I422: 1, I444: 1, NV12: 1 };
  const RGB = { RGBA: [0, 1, 2], RGBX: [0, 1, 2], BGRA: [2, 1, 0], BGRX: [2, 1, 0] };
  // The same from a <video>'s current frame, read as the frame's own bytes (the band's rows, no
  // colour conversion, no canvas): drawing a video into a canvas on every animation frame cost
  // each page of a two-page call a sixth of a core here. Null where the frame's format is unknown.
  globalThis.vcReadBarcodeFrame = async (video) => {
    const now = performance.timeOrigin + performance.now();
    let frame;
    try {
      frame = new VideoFrame(video);
    } catch {
      return undefined; // no frame yet
    }
    try {
      const v = frame.visibleRect;
      const band = Math.min(v.height, 2 * Math.ceil((v.height * bandFraction) / 2));
      const rect = { x: v.x, y: v.y, width: v.width, height: band };
      const luma = LUMA[frame.format] !== undefined;
      const order = RGB[frame.format];
      if (!luma && !order) return undefined;
      const buffer = new Uint8Array(frame.allocationSize({ rect }));
      const layout = await frame.copyTo(buffer, { rect });
      const { offset, stride } = layout[0];
      const bpp = luma ? 1 : 4;
      let value = 0;
      for (let i = 0; i < columns * rows; i++) {
        const x = Math.floor((((i % columns) + 0.5) * v.width) / columns);
        const y = Math.floor(((Math.floor(i / columns) + 0.5) * band) / rows);
        const p = offset + y * stride + x * bpp;
        const l = luma ? buffer[p] : 0.299 * buffer[p + order[0]] + 0.587 * buffer[p + order[1]] + 0.114 * buffer[p + order[2]];
        const bit = l > 128 ? 1 : 0;
        if (i < 32) value += bit * 2 ** i;
        else if (bit === Math.floor(value / 2 ** (i - 32)) % 2) return null;
      }
      const M = 2 ** 32;
      return { painted: value, ageMs: ((((Math.round(now) - value) % M) + M) % M) + (now - Math.round(now)) };
    } finally {
      frame.close();
    }
  };
  globalThis.vcReadTile = async (tile, width, height) => {
    if (tile instanceof HTMLVideoElement && typeof VideoFrame === 'function') {
      const read = await globalThis.vcReadBarcodeFrame(tile);
      if (read !== undefined) return read;
    }
    return globalThis.vcReadBarcode(tile, width, height);
  };
})();`;
}

/**
 * What {@link barcodeReaderScript} defines in the page as `vcReadTile`: reads a
 * remote tile's barcode from its current frame's bytes when it is a `<video>`
 * (WebCodecs' `VideoFrame`), else as {@link ReadBarcode} draws it.
 */
export type ReadTile = (
  tile: HTMLVideoElement | HTMLCanvasElement,
  width: number,
  height: number,
) => Promise<{ painted: number; ageMs: number } | null>;
