// The build's minifier of Lit css`…` templates (scripts/rollup-minify-css.mjs): smaller CSS,
// the same rules, every interpolation back where it was, and templates it cannot read left alone.
import { describe, expect, it } from 'vitest';
import { minifyCssTemplate } from '../../scripts/rollup-minify-css.mjs';

describe('minifyCssTemplate', () => {
  it('drops whitespace and comments, keeping custom property values as written', async () => {
    const out = await minifyCssTemplate(`
      /* the host */
      :host {
        display: block;
        --vc-font: system-ui, 'Segoe UI', sans-serif;
      }
      [part~='tile'] > video { object-fit: cover; }
    `);
    expect(out).toBe(
      ':host{display:block;--vc-font: system-ui, "Segoe UI", sans-serif}[part~=tile]>video{object-fit:cover}',
    );
  });

  it('keeps declarations, selectors and property names that are interpolated, each where it was', async () => {
    const out = await minifyCssTemplate(`
      :host([theme='light']) {
        \${light}
      }
      \${root} {
        \${edge}: var(--vc-gap, 8px);
        color: red;
      }
    `);
    expect(out).toBe(':host([theme="light"]){${light};}${root}{${edge}:var(--vc-gap, 8px);color:red}');
  });

  it('minifies a template of declarations alone, for interpolation into a rule', async () => {
    expect(await minifyCssTemplate('\n  --vc-text: #1d2330;\n  color-scheme: light;\n')).toBe(
      '--vc-text: #1d2330;color-scheme:light',
    );
  });

  it('leaves alone what it cannot keep exact: escapes, expressions, placeholders’ names, CSS it cannot read', async () => {
    for (const text of [
      ":host { content: '\\\\2022'; }",
      ':host { width: ${size * 2}px; }',
      ':host { --vcph0: 1; }',
      ':host { color: red; ',
    ]) {
      expect(await minifyCssTemplate(text), text).toBeNull();
    }
  });
});
