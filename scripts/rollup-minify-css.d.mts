import type { Plugin } from 'rollup';

/** One css`…` template's text minified, its `${name}` interpolations kept in place; null: leave it as written. */
export function minifyCssTemplate(text: string): Promise<string | null>;
/** The rollup plugin that minifies every css`…` template under src/. */
export function minifyCssTemplates(): Plugin;
