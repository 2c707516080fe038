/**
 * Import cycles, type-only imports included: ESLint's import-x/no-cycle skips
 * `import type`, yet a type-only cycle still means neither module can be read,
 * built or tested without the other. (Layer directions are ESLint's
 * import-x/no-restricted-paths, in eslint.config.mjs.)
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'Modules that import each other (even for types only) cannot be understood or tested apart.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/protocol/gen/' },
    // Count `import type` too: see above.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
