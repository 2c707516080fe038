// Two builds: the browser bundle (one self-contained ES module, served as
// /videocall-room.js) and the relay (Node, dependencies left external).
import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { workletInline } from './scripts/rollup-worklet-inline.mjs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const ts = () => typescript({ tsconfig: './tsconfig.build.json' });
const version = () => ({
  name: 'version',
  resolveId: (id) => (id === 'virtual:version' ? id : null),
  load: (id) => (id === 'virtual:version' ? `export default ${JSON.stringify(pkg.version)};` : null),
});

// protobufjs bundles long.js (11 kB) for 64-bit fields; src/protocol/protobuf-runtime.ts
// turns it off anyway (plain numbers), so the browser build leaves it out.
const withoutLong = () => ({
  name: 'without-long',
  resolveId: (id) => (id === 'long' ? '\0without-long' : null),
  load: (id) => (id === '\0without-long' ? 'export default null;' : null),
});

const browser = {
  input: 'src/index.ts',
  output: { file: 'dist/videocall-room.js', format: 'es', sourcemap: true },
  plugins: [
    version(),
    withoutLong(),
    workletInline(),
    resolve({ browser: true, exportConditions: ['browser', 'production'] }),
    commonjs(),
    ts(),
    terser({ format: { comments: false } }),
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
    chunkFileNames: 'server-chunks/[name]-[hash].js',
  },
  external: (id) => external.some((e) => id === e || id.startsWith(`${e}/`)),
  plugins: [version(), resolve({ preferBuiltins: true }), ts()],
};

export default [browser, server];
