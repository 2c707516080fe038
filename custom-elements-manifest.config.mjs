// custom-elements.json, from the element's JSDoc (@fires, @csspart, @cssprop, properties
// and methods): what IDEs, Storybook and docs tools read. `npm run build:types` writes it.
// Paths point at the published module and its declarations, not at the TypeScript sources.
export default {
  globs: ['src/element/videocall-room.ts'],
  outdir: '.',
  litelement: true,
  plugins: [
    {
      name: 'published-paths',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          mod.path = 'dist/videocall-room.js';
          for (const exp of mod.exports ?? []) {
            if (exp.declaration?.module) exp.declaration.module = 'dist/videocall-room.js';
          }
          // src/index.ts defines the tag (through defineVideocallRoom, which the analyzer can't follow).
          for (const decl of mod.declarations ?? []) {
            // `dispatchEvent(new VcErrorEvent(…))` is seen as a nameless event; the @fires tags name them all.
            if (decl.events) decl.events = decl.events.filter((event) => event.name);
            if (decl.customElement && decl.tagName) {
              mod.exports = [
                ...(mod.exports ?? []),
                {
                  kind: 'custom-element-definition',
                  name: decl.tagName,
                  declaration: { name: decl.name, module: 'dist/videocall-room.js' },
                },
              ];
            }
          }
        }
      },
    },
  ],
};
