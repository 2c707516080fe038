import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import lit from 'eslint-plugin-lit';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Client layers below the call: they may use `shared/` and `protocol/`, never what is built on them. */
const LOWER_LAYERS = ['capture', 'codec', 'e2ee', 'transport', 'playout', 'render', 'layout'];
/** What sits on top of the lower layers. */
const UPPER = ['./src/call', './src/element', './src/index.ts'];

/**
 * Which way imports may point. Each zone forbids `target` files to import from
 * `from`: lower layers never reach up, the relay takes only the wire contracts
 * (and shared helpers) from the client tree, and the WebTransport stack is a
 * library the relay reaches through its index only.
 */
const layerZones = [
  {
    target: './src/shared',
    from: './src',
    except: ['./shared'],
    message: 'src/shared is the bottom layer: it imports nothing else from src/.',
  },
  {
    target: './src/protocol',
    from: './src',
    except: ['./protocol', './shared'],
    message: 'src/protocol (the wire contracts) may use only src/shared.',
  },
  ...LOWER_LAYERS.map((layer) => ({
    target: `./src/${layer}`,
    from: UPPER,
    message: `src/${layer} is a lower layer: it must not import the call, the element or the package entry.`,
  })),
  { target: './src', from: './server', message: 'The client never imports the relay.' },
  {
    target: './server',
    from: './src',
    except: ['./protocol', './shared'],
    message: 'The relay takes only the wire contracts (src/protocol) and src/shared from the client tree.',
  },
  {
    target: './cli/sim',
    from: './src',
    except: ['./protocol', './shared'],
    message: 'cli/sim (simulated participants) speaks the wire protocol: it may use only src/protocol and src/shared.',
  },
  {
    target: './cli/sim',
    from: ['./server', './bench', './test'],
    message: 'cli/sim is a client of the relay: it never imports the relay, benchmarks or tests.',
  },
  {
    target: './server/webtransport',
    from: './server',
    except: ['./webtransport'],
    message: 'The WebTransport stack is a library: it imports nothing from the relay (inject what it needs).',
  },
  {
    target: ['./server/*.ts', './server/!(webtransport)/**'],
    from: './server/webtransport',
    except: ['./index.ts'],
    message: 'Import the WebTransport stack through server/webtransport/index.ts, its public surface.',
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'src/protocol/gen/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['src/**/*.ts'], ...lit.configs['flat/recommended'] },
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Layers that point one way. (Import cycles, type-only ones included, are
    // dependency-cruiser's: .dependency-cruiser.cjs, run by `npm run lint`.)
    files: ['src/**/*.ts', 'server/**/*.ts', 'cli/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
    },
  },
  {
    // Tests, benchmarks, scripts and the relay's entry point may print.
    files: ['test/**', 'bench/**', 'scripts/**', 'server/main.ts', '*.mjs'],
    rules: { 'no-console': 'off' },
  },
);
