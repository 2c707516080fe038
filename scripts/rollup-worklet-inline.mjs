// Rollup plugin: `import code from './processor.ts?worklet'` bundles that module on
// its own (TypeScript, its imports inlined, minified) and gives its code as a string.
// The element turns the string into a Blob URL for `audioWorklet.addModule`, so the
// product stays one self-contained file that any site can load with one script tag.
import esbuild from 'rollup-plugin-esbuild';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';
import { resolve as resolvePath, dirname } from 'node:path';

const SUFFIX = '?worklet';

export function workletInline() {
  return {
    name: 'worklet-inline',
    resolveId(source, importer) {
      if (!source.endsWith(SUFFIX)) return null;
      const file = source.slice(0, -SUFFIX.length);
      return resolvePath(importer ? dirname(importer) : process.cwd(), file) + SUFFIX;
    },
    async load(id) {
      if (!id.endsWith(SUFFIX)) return null;
      const input = id.slice(0, -SUFFIX.length);
      const bundle = await rollup({
        input,
        plugins: [resolve(), esbuild({ tsconfig: './tsconfig.build.json', target: 'es2022' }), terser()],
      });
      try {
        const { output } = await bundle.generate({ format: 'iife' });
        for (const file of bundle.watchFiles) this.addWatchFile(file);
        return `export default ${JSON.stringify(output[0].code)};`;
      } finally {
        await bundle.close();
      }
    },
  };
}
