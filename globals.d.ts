// Build-time modules made by rollup.config.mjs.
declare module 'virtual:version' {
  const version: string;
  export default version;
}
/** `import code from './x.ts?worklet'`: the module bundled as a script, as a string. */
declare module '*?worklet' {
  const code: string;
  export default code;
}
