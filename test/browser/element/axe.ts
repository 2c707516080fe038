// axe-core, the accessibility engine, loaded as a page would load it, and its WCAG 2.x A/AA audit.
import { AXE_RUN_OPTIONS, describeViolation, type AxeViolation } from '../../shared/axe-audit.js';

interface AxeResult {
  violations: AxeViolation[];
}
declare global {
  interface Window {
    axe: { run(context: Element, options?: object): Promise<AxeResult> };
  }
}

let loaded: Promise<unknown> | undefined;

/** Loads axe-core into the page once; the document gets a language, as a real page has one. */
export function loadAxe(): Promise<unknown> {
  document.documentElement.lang ||= 'en';
  loaded ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/node_modules/axe-core/axe.min.js';
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  });
  return loaded;
}

/** The WCAG 2.0–2.2 A and AA violations axe finds in `el` (its shadow tree included), one readable line each. */
export async function violations(el: Element): Promise<string[]> {
  await loadAxe();
  const result = await window.axe.run(el, AXE_RUN_OPTIONS);
  return result.violations.map(describeViolation);
}
