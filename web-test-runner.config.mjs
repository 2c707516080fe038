// Element and media tests in real headless Chromium (Debian's), with fake camera and mic.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { build } from 'esbuild';
import { chromiumArgs, CHROMIUM_PATH } from './test/chromium.mjs';

/** Serves `x.ts?worklet` imports as a string of the bundled module, like rollup's plugin. */
const workletInline = {
  name: 'worklet-inline',
  async serve(context) {
    if (!context.URL.search.includes('worklet')) return undefined;
    const entry = `.${context.path}`;
    const result = await build({ entryPoints: [entry], bundle: true, format: 'iife', write: false, target: 'es2022' });
    return { body: `export default ${JSON.stringify(result.outputFiles[0].text)};`, type: 'js' };
  },
};

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: { exportConditions: ['browser', 'development'] },
  concurrency: 1,
  testsFinishTimeout: 10 * 60 * 1000,
  testFramework: { config: { timeout: 30000 } },
  plugins: [workletInline, esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' })],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs() },
    }),
  ],
};
