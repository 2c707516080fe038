/** How `bots` shows a fleet: the live progress line and the summary table at the end. */
import type { BotSummary, FleetTotals } from './bot-fleet.js';

/** `joined 10/10 · sent 620 fr/s · received 1840 fr/s · errors 0 · 12 s`, rates over `intervalMs`. */
export function progressLine(now: FleetTotals, before: FleetTotals, intervalMs: number, elapsedMs: number): string {
  const rate = (a: number, b: number) => Math.round(((a - b) * 1000) / Math.max(1, intervalMs));
  return (
    `joined ${now.joined}/${now.count} · sent ${rate(now.framesOut, before.framesOut)} fr/s` +
    ` · received ${rate(now.framesIn, before.framesIn)} fr/s · errors ${now.errors} · ${Math.round(elapsedMs / 1000)} s`
  );
}

const MB = 1024 * 1024;

/** A plain-text table, one row per bot and a total, columns aligned. */
export function summaryTable(bots: readonly BotSummary[], seconds: number): string {
  const header = ['bot', 'id', 'pub', 'frames out', 'MB out', 'frames in', 'MB in', 'kf req', 'errors'];
  const row = (b: BotSummary): string[] => [
    b.name,
    b.joined ? b.id.slice(0, 8) : '-',
    b.publishing ? 'yes' : 'no',
    String(b.framesOut),
    (b.bytesOut / MB).toFixed(2),
    String(b.framesIn),
    (b.bytesIn / MB).toFixed(2),
    String(b.keyframeRequests),
    b.errors.length ? `${b.errors.length} (${[...new Set(b.errors)].slice(0, 3).join(', ')})` : '0',
  ];
  const sum = (f: (b: BotSummary) => number) => bots.reduce((n, b) => n + f(b), 0);
  const total = [
    'total',
    `${bots.filter((b) => b.joined).length}/${bots.length}`,
    String(bots.filter((b) => b.publishing).length),
    String(sum((b) => b.framesOut)),
    (sum((b) => b.bytesOut) / MB).toFixed(2),
    String(sum((b) => b.framesIn)),
    (sum((b) => b.bytesIn) / MB).toFixed(2),
    String(sum((b) => b.keyframeRequests)),
    String(sum((b) => b.errors.length)),
  ];
  const rows = [header, ...bots.map(row), total];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  // Numbers right-aligned, names left.
  const line = (r: string[]) =>
    r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const rates = `over ${seconds.toFixed(1)} s: ${Math.round(sum((b) => b.framesOut) / seconds)} frames/s sent, ${Math.round(sum((b) => b.framesIn) / seconds)} received`;
  return [line(header), rule, ...bots.map((b) => line(row(b))), rule, line(total), rates].join('\n') + '\n';
}
