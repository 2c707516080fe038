/**
 * Small hand-written SVG charts for BENCHMARKS.md: grouped bars, lines and a
 * histogram. No dependencies; the output is plain, diffable text that GitHub and
 * any browser render.
 */

export const COLORS = { ours: '#2f6fdb', naive: '#9aa4b2', accent: '#e0532f', grid: '#e3e6eb', text: '#1f2329' };

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A round upper bound and tick step for values up to `max` (steps of 1, 2 or 5 × 10^k). */
export function niceScale(max: number, ticks = 4): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  return { top: Math.ceil(max / step) * step, step };
}

/** Compact number: 1234 → "1.2k", 0.5 → "0.5". */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${+(n / 1e6).toFixed(abs >= 1e7 ? 0 : 1)}M`;
  if (abs >= 1e3) return `${+(n / 1e3).toFixed(abs >= 1e4 ? 0 : 1)}k`;
  if (abs >= 10) return `${Math.round(n)}`;
  return `${+n.toFixed(abs >= 1 ? 1 : 2)}`;
}

function svg(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function legend(x: number, y: number, items: { name: string; color: string }[]): string[] {
  const out: string[] = [];
  let at = x;
  for (const item of items) {
    out.push(`<rect x="${at}" y="${y - 9}" width="10" height="10" fill="${item.color}"/>`);
    out.push(`<text x="${at + 14}" y="${y}" fill="${COLORS.text}">${escape(item.name)}</text>`);
    at += 24 + item.name.length * 7;
  }
  return out;
}

export interface BarPanel {
  title: string;
  /** One label per group on the x axis (e.g. room sizes). */
  groups: string[];
  series: { name: string; color: string; values: number[] }[];
  /** Format of the value printed over each bar. */
  format?: (n: number) => string;
}

/** Panels of grouped bars side by side, one shared legend. */
export function groupedBars(title: string, panels: BarPanel[], note = ''): string {
  const panelWidth = 300;
  const plotHeight = 200;
  const top = 84;
  const left = 46;
  const width = panels.length * panelWidth + 20;
  const height = top + plotHeight + 60;
  const body: string[] = [
    `<text x="14" y="24" font-size="15" font-weight="600" fill="${COLORS.text}">${escape(title)}</text>`,
  ];
  if (panels[0]) body.push(...legend(14, 46, panels[0].series));
  if (note) body.push(`<text x="${width - 14}" y="24" text-anchor="end" fill="#667">${escape(note)}</text>`);
  panels.forEach((panel, p) => {
    const x0 = p * panelWidth + left;
    const plotWidth = panelWidth - left - 14;
    const max = Math.max(...panel.series.flatMap((s) => s.values.filter(Number.isFinite)));
    const { top: yTop, step } = niceScale(max);
    const y = (v: number): number => top + plotHeight - (v / yTop) * plotHeight;
    const format = panel.format ?? compact;
    body.push(
      `<text x="${x0 + plotWidth / 2}" y="${top - 14}" text-anchor="middle" font-weight="600" fill="${COLORS.text}">${escape(panel.title)}</text>`,
    );
    for (let v = 0; v <= yTop + step / 2; v += step) {
      body.push(`<line x1="${x0}" x2="${x0 + plotWidth}" y1="${y(v)}" y2="${y(v)}" stroke="${COLORS.grid}"/>`);
      body.push(`<text x="${x0 - 5}" y="${y(v) + 4}" text-anchor="end" fill="#667">${compact(v)}</text>`);
    }
    const groupWidth = plotWidth / panel.groups.length;
    const barWidth = Math.min(28, (groupWidth - 12) / panel.series.length);
    panel.groups.forEach((group, g) => {
      const gx = x0 + g * groupWidth + (groupWidth - barWidth * panel.series.length) / 2;
      panel.series.forEach((series, s) => {
        const value = series.values[g] ?? NaN;
        if (!Number.isFinite(value)) return;
        const bx = gx + s * barWidth;
        body.push(
          `<rect x="${bx.toFixed(1)}" y="${y(value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(top + plotHeight - y(value)).toFixed(1)}" fill="${series.color}"/>`,
        );
        body.push(
          `<text x="${(bx + barWidth / 2 - 1).toFixed(1)}" y="${(y(value) - 3).toFixed(1)}" text-anchor="middle" font-size="10" fill="${COLORS.text}">${escape(format(value))}</text>`,
        );
      });
      body.push(
        `<text x="${x0 + (g + 0.5) * groupWidth}" y="${top + plotHeight + 16}" text-anchor="middle" fill="${COLORS.text}">${escape(group)}</text>`,
      );
    });
    body.push(
      `<line x1="${x0}" x2="${x0 + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#889"/>`,
    );
  });
  body.push(
    `<text x="${width / 2}" y="${height - 14}" text-anchor="middle" fill="#667">participants in the room</text>`,
  );
  return svg(width, height, body);
}

export interface LineSeries {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

/** Lines over a numeric x axis, with optional horizontal reference lines. */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  references?: { y: number; label: string }[];
  yMax?: number;
}): string {
  const width = 760;
  const height = 340;
  const left = 56;
  const right = 20;
  const top = 56;
  const bottom = 50;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = options.series.flatMap((s) => s.points.map((p) => p[1]));
  const xScale = niceScale(Math.max(...xs, 1));
  const yScale = niceScale(options.yMax ?? Math.max(...ys, ...(options.references ?? []).map((r) => r.y)));
  const x = (v: number): number => left + (v / xScale.top) * plotWidth;
  const y = (v: number): number => top + plotHeight - (v / yScale.top) * plotHeight;
  const body: string[] = [
    `<text x="14" y="24" font-size="15" font-weight="600" fill="${COLORS.text}">${escape(options.title)}</text>`,
    ...legend(14, 44, options.series),
  ];
  for (let v = 0; v <= yScale.top + yScale.step / 2; v += yScale.step) {
    body.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y(v)}" y2="${y(v)}" stroke="${COLORS.grid}"/>`);
    body.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#667">${compact(v)}</text>`);
  }
  for (let v = 0; v <= xScale.top + xScale.step / 2; v += xScale.step) {
    body.push(`<text x="${x(v)}" y="${top + plotHeight + 16}" text-anchor="middle" fill="#667">${compact(v)}</text>`);
  }
  for (const ref of options.references ?? []) {
    body.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${y(ref.y)}" y2="${y(ref.y)}" stroke="${COLORS.accent}" stroke-dasharray="5 4"/>`,
    );
    body.push(
      `<text x="${left + plotWidth - 4}" y="${y(ref.y) - 5}" text-anchor="end" fill="${COLORS.accent}">${escape(ref.label)}</text>`,
    );
  }
  for (const series of options.series) {
    const d = series.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
      .join(' ');
    body.push(
      `<path d="${d}" fill="none" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
    );
    for (const p of series.points)
      body.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3" fill="${series.color}"/>`);
  }
  body.push(
    `<line x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#889"/>`,
    `<text x="${left + plotWidth / 2}" y="${height - 12}" text-anchor="middle" fill="#667">${escape(options.xLabel)}</text>`,
    `<text transform="translate(16 ${top + plotHeight / 2}) rotate(-90)" text-anchor="middle" fill="#667">${escape(options.yLabel)}</text>`,
  );
  return svg(width, height, body);
}

/** A histogram of `samples` in bins of `bin`, with labelled vertical markers (e.g. p50, p95). */
export function histogram(options: {
  title: string;
  xLabel: string;
  samples: number[];
  bin: number;
  markers?: { x: number; label: string }[];
  /** Samples above this go into a last "beyond" bin, so a long tail does not squash the rest. */
  clipAt?: number;
}): string {
  const width = 760;
  const height = 320;
  const left = 50;
  const right = 20;
  const top = 50;
  const bottom = 50;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const maxSample = Math.max(...options.samples, options.bin);
  const xScale = niceScale(Math.min(maxSample, options.clipAt ?? Infinity));
  const bins = new Array<number>(Math.ceil(xScale.top / options.bin)).fill(0);
  let beyond = 0;
  for (const s of options.samples) {
    if (s >= xScale.top) beyond++;
    else bins[Math.max(0, Math.floor(s / options.bin))]!++;
  }
  const yScale = niceScale(Math.max(...bins, 1));
  const x = (v: number): number => left + (v / xScale.top) * plotWidth;
  const y = (v: number): number => top + plotHeight - (v / yScale.top) * plotHeight;
  const body: string[] = [
    `<text x="14" y="24" font-size="15" font-weight="600" fill="${COLORS.text}">${escape(options.title)}</text>`,
  ];
  for (let v = 0; v <= yScale.top + yScale.step / 2; v += yScale.step) {
    body.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y(v)}" y2="${y(v)}" stroke="${COLORS.grid}"/>`);
    body.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#667">${compact(v)}</text>`);
  }
  for (let v = 0; v <= xScale.top + xScale.step / 2; v += xScale.step)
    body.push(`<text x="${x(v)}" y="${top + plotHeight + 16}" text-anchor="middle" fill="#667">${compact(v)}</text>`);
  bins.forEach((count, i) => {
    if (count === 0) return;
    body.push(
      `<rect x="${x(i * options.bin).toFixed(1)}" y="${y(count).toFixed(1)}" width="${Math.max(1, x(options.bin) - left - 1).toFixed(1)}" height="${(top + plotHeight - y(count)).toFixed(1)}" fill="${COLORS.ours}"/>`,
    );
  });
  if (beyond > 0)
    body.push(
      `<text x="${left + plotWidth}" y="${top - 8}" text-anchor="end" fill="#667">${beyond} beyond ${compact(xScale.top)} (max ${compact(maxSample)})</text>`,
    );
  (options.markers ?? []).forEach((m, i) => {
    body.push(
      `<line x1="${x(m.x).toFixed(1)}" x2="${x(m.x).toFixed(1)}" y1="${top}" y2="${top + plotHeight}" stroke="${COLORS.accent}" stroke-dasharray="5 4"/>`,
    );
    body.push(
      `<text x="${(x(m.x) + 4).toFixed(1)}" y="${top + 12 + i * 14}" fill="${COLORS.accent}">${escape(m.label)}</text>`,
    );
  });
  body.push(
    `<line x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#889"/>`,
    `<text x="${left + plotWidth / 2}" y="${height - 12}" text-anchor="middle" fill="#667">${escape(options.xLabel)}</text>`,
  );
  return svg(width, height, body);
}
