// The accessibility audit every browser test runs with axe-core: which rules, and how a
// violation reads. Shared by the Chromium browser tests (test/browser/element/axe.ts) and the
// Firefox end-to-end tests, which run axe in the page and word its findings in Node.

/** The rules that apply to a widget: WCAG 2.0–2.2 A and AA (page-level best practices such as landmarks are the page's). */
export const AXE_RUN_OPTIONS = {
  resultTypes: ['violations'],
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
};

/** What the tests read of one axe violation. */
export interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown; failureSummary?: string }[];
}

/** One readable line per violation, naming the nodes it was found at. */
export const describeViolation = (v: AxeViolation): string =>
  `${v.id} (${v.impact ?? 'n/a'}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))} ${v.nodes[0]?.failureSummary ?? ''}`;
