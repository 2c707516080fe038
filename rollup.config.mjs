// Two builds: the browser bundle (one self-contained ES module, served as
// /videocall-room.js) and the relay (Node, dependencies left external).
import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';
import { builtinModules } from 'node:module';
import { readFileSync, rmSync } from 'node:fs';
import { integrity } from './scripts/rollup-integrity.mjs';
import { workletInline } from './scripts/rollup-worklet-inline.mjs';
import { minifyCssTemplates } from './scripts/rollup-minify-css.mjs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
// esbuild only strips types (in milliseconds, not tens of seconds); `npm test` type-checks with tsc.
const ts = () => esbuild({ tsconfig: './tsconfig.build.json', target: 'es2022', sourceMap: true });
const version = () => ({
  name: 'version',
  resolveId: (id) => (id === 'virtual:version' ? id : null),
  load: (id) => (id === 'virtual:version' ? `export default ${JSON.stringify(pkg.version)};` : null),
});

const browserPlugins = () => [
  version(),
  workletInline(),
  resolve({ browser: true, exportConditions: ['browser', 'production'] }),
  commonjs(),
  // Before the TypeScript transform: it reads the source's css`…` templates.
  minifyCssTemplates(),
  ts(),
];
const minified = () => terser({ format: { comments: false } });

// One graph, two builds: the ES module (`<script type="module">`, bundlers) and a classic
// script for CMS embeds that cannot load modules (`<script src=…iife.js>`; the element
// is defined, the exports are on `window.VideocallRoom`).
const browser = {
  input: 'src/index.ts',
  // The entry may export more than src/index.ts does (what the E2EE chunk imports from it),
  // rather than becoming a one-line facade over a chunk: one request less for every page.
  preserveEntrySignatures: 'allow-extension',
  output: [
    {
      // E2EE is a chunk of its own (src/call/load-media-crypto.ts), fetched only when a call encrypts.
      dir: 'dist',
      entryFileNames: 'videocall-room.js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      format: 'es',
      sourcemap: true,
      plugins: [minified(), integrity()],
    },
    {
      file: 'dist/videocall-room.iife.js',
      format: 'iife',
      name: 'VideocallRoom',
      inlineDynamicImports: true,
      sourcemap: true,
      plugins: [minified(), integrity()],
    },
  ],
  plugins: [
    {
      name: 'clean-chunks',
      buildStart: () =>
        ['dist/chunks', 'dist/integrity.json'].forEach((p) => rmSync(p, { recursive: true, force: true })),
    },
    ...browserPlugins(),
  ],
};

// `videocall-room/room`: the headless call without the element, for pages with their own UI.
// Split as the element's module is (E2EE, the main-thread transports, stats, noble's SHA-256
// where WebCrypto is missing come on demand), into chunks of its own: the element's chunks
// import from videocall-room.js, which would define the element.
const headless = {
  input: 'src/headless.ts',
  preserveEntrySignatures: 'allow-extension',
  output: {
    dir: 'dist',
    entryFileNames: 'room.js',
    chunkFileNames: 'room-chunks/[name]-[hash].js',
    format: 'es',
    sourcemap: true,
    plugins: [minified()],
  },
  plugins: [
    { name: 'clean-room-chunks', buildStart: () => rmSync('dist/room-chunks', { recursive: true, force: true }) },
    ...browserPlugins(),
  ],
};

const external = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  ...Object.keys(pkg.dependencies ?? {}),
  ...Object.keys(pkg.optionalDependencies ?? {}),
];

// `server.js` runs the relay; `relay.js` exports `startRelay` for tools and tests;
// `cli.js` is videocall-cli (bin/videocall-cli.mjs runs it).
const server = {
  input: { server: 'server/main.ts', relay: 'server/relay.ts', cli: 'cli/main.ts' },
  output: {
    dir: 'dist',
    format: 'es',
    sourcemap: true,
    entryFileNames: '[name].js',
    // dist/server.js is the package's `videocall-relay` command.
    banner: (chunk) => (chunk.name === 'server' ? '#!/usr/bin/env node' : ''),
    chunkFileNames: 'server-chunks/[name]-[hash].js',
  },
  external: (id) => external.some((e) => id === e || id.startsWith(`${e}/`)),
  plugins: [
    // Chunk names carry hashes: without this, old ones pile up (and would be packed).
    { name: 'clean-chunks', buildStart: () => rmSync('dist/server-chunks', { recursive: true, force: true }) },
    version(),
    resolve({ preferBuiltins: true }),
    ts(),
  ],
};

export default [browser, headless, server];
