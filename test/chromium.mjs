// How every test launches Debian's Chromium (never a downloaded browser).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for headless Chromium as root on this kind of machine, with a fake camera
 * and microphone. `extra` adds or overrides (a flag in `extra` replaces the default
 * of the same name, e.g. `--autoplay-policy=document-user-activation-required`).
 */
export function chromiumArgs(extra = []) {
  const name = (flag) => flag.split('=')[0];
  const overridden = new Set(extra.map(name));
  const defaults = [
    '--no-sandbox',
    '--headless=new',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
  ];
  return [...defaults.filter((flag) => !overridden.has(name(flag))), ...extra];
}

/** A fresh, empty profile directory. */
export function freshProfileDir() {
  return mkdtempSync(join(tmpdir(), 'vc-chromium-'));
}
