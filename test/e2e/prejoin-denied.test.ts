/**
 * Pre-join when the person refused the camera or the microphone, in a real Chromium that was not
 * granted it (no stubbed getUserMedia): the pre-join screen says which device is blocked and what
 * to do, joining still works, and the others see and hear what was allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, readRemoteTiles, relayAndChromium, waitFor, type TestBrowser } from './browser.js';

interface Denied {
  device: 'camera' | 'microphone';
  problem: RegExp;
  code: string;
  /** What the others see of the person once joined. */
  state: { camera: boolean; mic: boolean };
}

const cases: Denied[] = [
  {
    device: 'camera',
    problem: /camera is blocked for this site/,
    code: 'camera-denied',
    state: { camera: false, mic: true },
  },
  {
    device: 'microphone',
    problem: /microphone is blocked for this site/,
    code: 'mic-denied',
    state: { camera: true, mic: false },
  },
];

/** The vc-error codes the element reported, recorded from the page's first script. */
function recordErrors(): void {
  const w = window as unknown as { vcErrors: string[] };
  w.vcErrors = [];
  document.addEventListener('vc-error', (e) => w.vcErrors.push((e as Event & { code: string }).code));
}

const errorsOf = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { vcErrors: string[] }).vcErrors);

describe('pre-join with a device the person refused', () => {
  const env = relayAndChromium();

  for (const c of cases) {
    describe(`the ${c.device} refused`, () => {
      let refusing: TestBrowser;
      beforeAll(async () => {
        refusing = await launchChromium([], [c.device]);
        await refusing.context.addInitScript(recordErrors);
      });
      afterAll(async () => {
        await refusing?.close();
      });

      it('says which device is blocked and what to do, joins without it, and the others get the rest', async () => {
        const room = `denied-${c.device}`;
        const grace = await env.chromium.newPage(`${env.relay.url}/?room=${room}&name=Grace`);
        const ada = await refusing.newPage(`${env.relay.url}/?room=${room}&name=Ada&prejoin`);

        const problem = ada.locator('videocall-room').locator('[part~="prejoin-problem"]');
        await waitFor(`the pre-join screen to say the ${c.device} is blocked`, async () =>
          (await problem.count()) === 1 ? true : undefined,
        );
        expect(await problem.textContent()).toMatch(c.problem);
        expect(await problem.textContent()).toMatch(/allow it in the browser/);
        expect(await problem.getAttribute('role')).toBe('status');
        // Not fatal: reported, and the join button still joins.
        expect(await errorsOf(ada)).toContain(c.code);
        expect(await ada.evaluate(() => document.querySelector('videocall-room')!.state)).toBe('idle');
        await ada.locator('videocall-room').locator('[part~="prejoin-join"]').click();
        await waitFor('Ada to join', async () =>
          (await ada.evaluate(() => document.querySelector('videocall-room')!.state)) === 'joined' ? true : undefined,
        );

        // Grace sees Ada with what she allowed, and gets it.
        const seen = await waitFor('Grace to see Ada', async () =>
          (await grace.evaluate(() => document.querySelector('videocall-room')!.participants)).find(
            (p) => p.name === 'Ada',
          ),
        );
        expect({ camera: seen.camera, mic: seen.mic }).toEqual(c.state);
        if (c.state.camera) {
          await waitFor('Ada’s picture at Grace', async () =>
            (await readRemoteTiles(grace)).find((t) => t.name === 'Ada' && t.width >= 160 && t.lumaSpread > 8),
          );
        } else {
          await waitFor(
            'Ada’s sound at Grace',
            async () =>
              ((await readRemoteTiles(grace)).find((t) => t.name === 'Ada')?.audioLevel ?? 0) > 0.01 || undefined,
            20_000,
            50,
          );
        }
        // Ada receives the call all the same.
        await waitFor('Grace’s picture at Ada', async () =>
          (await readRemoteTiles(ada)).find((t) => t.name === 'Grace' && t.width >= 160 && t.lumaSpread > 8),
        );
        await ada.close();
        await grace.close();
      });
    });
  }
});
