/**
 * Size of what a site loads, and what it is made of. Each built browser file
 * (`dist/videocall-room.js`, the module the relay serves as `/videocall-room.js`;
 * the chunks it fetches on demand; the classic-script build; `room.js`), minified
 * and gzipped (node:zlib, level 9). Then the composition of the module and its
 * chunks: every byte of the minified output is attributed to the source it came
 * from through the build's source map, and grouped by area (protobufjs' runtime,
 * the generated protocol code, Lit, src/element, src/call, …). An area's gzip
 * share is its bytes gzipped on their own, scaled so the areas add up to the
 * file's real gzip size (gzip compresses across areas, so this is an estimate).
 * Run `npm run build` first (`npm run bench -- bundle` does).
 *
 *     npx tsx bench/bundle-size.ts [--modules N] [--dist DIR]
 *
 * `--dist` measures another build (another worktree's dist/, say, for a before/after).
 */
import { decode } from '@jridgewell/sourcemap-codec';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const distArg = process.argv.indexOf('--dist');
const DIST =
  distArg > 0
    ? `${process.argv[distArg + 1]!.replace(/\/$/, '')}/`
    : fileURLToPath(new URL('../dist/', import.meta.url));
export const BUNDLE_PATH = `${DIST}videocall-room.js`;

/** One built file. */
export interface FileSize {
  /** Relative to the package root, e.g. `dist/chunks/media-crypto-….js`. */
  file: string;
  minifiedBytes: number;
  gzipBytes: number;
  /** Brotli at quality 11: what the relay sends browsers that accept it (server/compressed-files.ts). */
  brotliBytes?: number;
}

/** What one area (or one source module) weighs in a file. */
export interface AreaSize {
  area: string;
  /** Minified bytes the source map attributes to it. */
  minifiedBytes: number;
  /** Its share of the file's gzip size (see the file comment). */
  gzipBytes: number;
}

/** The composition of one file. */
export interface Composition {
  file: string;
  areas: AreaSize[];
  /** The heaviest source modules, heaviest first. */
  modules: AreaSize[];
}

export interface BundleSizeResult {
  /** The module (`dist/videocall-room.js`), as before: what a plain call loads first. */
  file: string;
  minifiedBytes: number;
  gzipBytes: number;
  /** When the bundle was built (ISO). */
  builtAt: string;
  /** Every browser file the build writes. */
  files: FileSize[];
  /** The module and each chunk, by area and by module. */
  compositions: Composition[];
}

const gzip = (bytes: Buffer | string): number => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;
const brotli = (bytes: Buffer): number =>
  brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }).length;

function sizeOf(path: string): FileSize {
  const code = readFileSync(path);
  return {
    file: `dist/${path.slice(DIST.length)}`,
    minifiedBytes: code.length,
    gzipBytes: gzip(code),
    brotliBytes: brotli(code),
  };
}

/** The area a source (a path in the source map, relative to dist/) belongs to. */
export function areaOf(source: string): string {
  const s = source.replace(/^(\.\.\/)+/, '').replace(/\\/g, '/');
  if (s.includes('node_modules/protobufjs/') || s.includes('node_modules/@protobufjs/')) return 'protobufjs runtime';
  if (s.startsWith('src/protocol/gen/')) return 'generated protocol code (src/protocol/gen)';
  if (/node_modules\/(lit|lit-html|lit-element|@lit\/[^/]+)\//.test(s)) return 'lit';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(s);
  if (pkg) return pkg[1]!;
  if (s.includes('?worklet')) return 'audio worklets (inlined source)';
  if (/^src\/element\/(i18n|[a-z-]+-strings)\.ts$/.test(s))
    return 'i18n catalogues (src/element/i18n.ts, *-strings.ts)';
  const dir = /^src\/([^/]+)\//.exec(s);
  if (dir) return `src/${dir[1]}`;
  if (s.startsWith('src/')) return 'src (entry)';
  return s || '(unmapped)';
}

/**
 * Each byte's source (its path in the source map, leading `../` dropped; undefined:
 * unmapped), read off the map: each mapping segment owns the generated text up to
 * the next one. Text before a line's first segment (and a line without any, inside
 * a multi-line template literal say) continues the segment before it.
 */
export function sourcePerByte(code: string, mapText: string): (string | undefined)[] {
  const map = JSON.parse(mapText) as { sources: string[]; mappings: string };
  const out: (string | undefined)[] = [];
  const lines = code.split('\n');
  let current: string | undefined;
  decode(map.mappings).forEach((segments, i) => {
    const line = lines[i] ?? '';
    // The line's bytes and its newline (none after the last line).
    const length = line.length + (i + 1 < lines.length ? 1 : 0);
    for (let col = 0, j = -1; col < length; col++) {
      while (j + 1 < segments.length && segments[j + 1]![0] <= col) {
        const segment = segments[++j]!;
        current = segment.length > 1 ? map.sources[segment[1]!]!.replace(/^(\.\.\/)+/, '') : undefined;
      }
      out.push(current);
    }
  });
  return out;
}

/** Minified text per source, by {@link sourcePerByte}. */
function textPerSource(path: string): Map<string, string> {
  const code = readFileSync(path, 'utf8');
  const sources = sourcePerByte(code, readFileSync(`${path}.map`, 'utf8'));
  const out = new Map<string, string[]>();
  for (let start = 0, i = 1; i <= sources.length; i++) {
    if (i < sources.length && sources[i] === sources[start]) continue;
    const source = sources[start] ?? '(unmapped)';
    const parts = out.get(source) ?? [];
    parts.push(code.slice(start, i));
    out.set(source, parts);
    start = i;
  }
  return new Map([...out].map(([source, parts]) => [source, parts.join('')]));
}

/** Groups `texts` by `keyOf`, each group's gzip share scaled so the groups add up to `totalGzip`. */
function grouped(texts: Map<string, string>, keyOf: (source: string) => string, totalGzip: number): AreaSize[] {
  const groups = new Map<string, string>();
  for (const [source, text] of texts) {
    const key = keyOf(source);
    groups.set(key, (groups.get(key) ?? '') + text);
  }
  const rows = [...groups].map(([area, text]) => ({ area, minifiedBytes: Buffer.byteLength(text), raw: gzip(text) }));
  const sum = rows.reduce((a, r) => a + r.raw, 0) || 1;
  return rows
    .map(({ area, minifiedBytes, raw }) => ({ area, minifiedBytes, gzipBytes: Math.round((raw / sum) * totalGzip) }))
    .sort((a, b) => b.gzipBytes - a.gzipBytes);
}

export function compositionOf(path: string, modules = 25): Composition {
  const texts = textPerSource(path);
  const { file, gzipBytes } = sizeOf(path);
  return {
    file,
    areas: grouped(texts, areaOf, gzipBytes),
    modules: grouped(texts, (s) => s.replace(/^(\.\.\/)+/, ''), gzipBytes).slice(0, modules),
  };
}

/** The module's on-demand chunks (`room-chunks`: the headless build's). */
function chunks(name = 'chunks'): string[] {
  const dir = `${DIST}${name}/`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.js'))
    .sort()
    .map((name) => `${dir}${name}`);
}

export function runBundleSize(options: { modules?: number } = {}): BundleSizeResult {
  const module = sizeOf(BUNDLE_PATH);
  const others = [...chunks(), `${DIST}videocall-room.iife.js`, `${DIST}room.js`, ...chunks('room-chunks')].filter(
    (p) => existsSync(p),
  );
  return {
    ...module,
    builtAt: statSync(BUNDLE_PATH).mtime.toISOString(),
    files: [module, ...others.map(sizeOf)],
    compositions: [BUNDLE_PATH, ...chunks()]
      .filter((p) => existsSync(`${p}.map`))
      .map((p) => compositionOf(p, options.modules)),
  };
}

const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`;

export function describeBundleSize(r: BundleSizeResult): string {
  return `bundle ${r.file}: ${kB(r.minifiedBytes)} minified, ${kB(r.gzipBytes)} min+gzip`;
}

/** The files, then each composition, as aligned text tables. */
export function describeComposition(r: BundleSizeResult, modules = 15): string {
  const out: string[] = [];
  const row = (name: string, min: number, gz: number, total?: number, br?: number): string =>
    `  ${name.padEnd(58)} ${kB(min).padStart(9)} ${kB(gz).padStart(9)}` +
    (total ? `${((gz / total) * 100).toFixed(0).padStart(5)} %` : '') +
    (br ? ` ${kB(br).padStart(9)}` : '');
  out.push(`  ${'file'.padEnd(58)} ${'minified'.padStart(9)} ${'min+gzip'.padStart(9)} ${'brotli'.padStart(9)}`);
  for (const f of r.files) out.push(row(f.file, f.minifiedBytes, f.gzipBytes, undefined, f.brotliBytes));
  const chunkGzip = r.files.filter((f) => f.file.startsWith('dist/chunks/')).reduce((a, f) => a + f.gzipBytes, 0);
  out.push(`  module and all its chunks: ${kB(r.gzipBytes + chunkGzip)} min+gzip`);
  for (const c of r.compositions) {
    const total = r.files.find((f) => f.file === c.file)?.gzipBytes ?? 0;
    out.push('', `  ${c.file} by area (gzip estimated per area, scaled to the file's ${kB(total)}):`);
    for (const a of c.areas) out.push(row(a.area, a.minifiedBytes, a.gzipBytes, total));
    out.push(`  heaviest modules:`);
    for (const m of c.modules.slice(0, modules)) out.push(row(m.area, m.minifiedBytes, m.gzipBytes, total));
  }
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--modules');
  const modules = i > 0 ? Number(process.argv[i + 1]) : 15;
  const result = runBundleSize({ modules });
  console.log(describeBundleSize(result));
  console.log(describeComposition(result, modules));
}
