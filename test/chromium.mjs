// How every test launches Debian's Chromium (never a downloaded browser).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for headless Chromium as root on this kind of machine, with a fake camera
 * and microphone. `extra` adds or overrides (e.g. a y4m clip for the camera).
 */
export function chromiumArgs(extra = []) {
  return [
    '--no-sandbox',
    '--headless=new',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    ...extra,
  ];
}

/** A fresh, empty profile directory. */
export function freshProfileDir() {
  return mkdtempSync(join(tmpdir(), 'vc-chromium-'));
}
