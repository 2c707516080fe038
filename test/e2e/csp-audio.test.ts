/**
 * A host page whose Content-Security-Policy forbids `blob:` workers: the
 * element's audio decode worker is refused (the browser reports the violation),
 * and the page still hears the call, decoded on the page instead.
 */
import { describe, expect, it } from 'vitest';
import { readRemoteTiles, relayAndChromium, waitFor } from './browser.js';

describe('a page whose CSP forbids blob: workers', () => {
  const env = relayAndChromium();

  it('is refused the decode worker, and plays the others’ audio all the same', async () => {
    const ada = await env.chromium.newPage(`${env.relay.url}/?room=csp&name=Ada&camera=off`);
    const page = await env.chromium.context.newPage();
    // The policy as a <meta> in the page's head, set before any script runs (served as a
    // header through an intercepted response, the page would count as public and Local
    // Network Access would block the loopback relay).
    await page.addInitScript(() => {
      const w = window as unknown as { __violations: string[] };
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        w.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`),
      );
      const observer = new MutationObserver(() => {
        if (!document.head) return;
        observer.disconnect();
        const meta = document.createElement('meta');
        meta.httpEquiv = 'Content-Security-Policy';
        meta.content = "worker-src 'self'";
        document.head.prepend(meta);
      });
      observer.observe(document, { childList: true, subtree: true });
    });
    const url = `${env.relay.url}/?room=csp&name=Bob&camera=off&mic=off`;
    await page.goto(url);

    // Ada's fake microphone beeps now and then: Bob's page plays it.
    let loudest = 0;
    await waitFor(
      'Ada’s audio played on Bob’s page',
      async () => {
        for (const tile of await readRemoteTiles(page)) loudest = Math.max(loudest, tile.audioLevel);
        return loudest > 0.01 ? true : undefined;
      },
      20_000,
      50,
    );
    const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
    expect(violations).toContain('worker-src blob');
    await page.close();
    await ada.close();
  });
});
