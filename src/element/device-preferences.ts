/**
 * The camera, microphone and speaker a person chose, remembered for this site
 * (`localStorage` is per origin, as are the browser's `deviceId`s). Storage may
 * be missing or refuse (sandboxed iframes, privacy modes, a full quota): then
 * choices last for the page only. What is read back is checked, never trusted.
 */

/** A kind of device a person chooses. */
export type DeviceKind = 'camera' | 'mic' | 'speaker';

/** The `deviceId` chosen for each kind; absent: the browser's default. */
export type DeviceChoices = Partial<Record<DeviceKind, string>>;

/** One key, namespaced and versioned, so nothing else on the site collides with it. */
export const STORAGE_KEY = 'videocall-room:devices:v1';

const KINDS: readonly DeviceKind[] = ['camera', 'mic', 'speaker'];
/** Browsers' ids are 64 hex characters; anything much longer is not one. */
const MAX_ID_LENGTH = 256;

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // reading `localStorage` itself throws where storage is blocked
  }
}

/** The choices stored for this site; `{}` when none, or when what is stored is not ours or is damaged. */
export function loadDeviceChoices(): DeviceChoices {
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage()?.getItem(STORAGE_KEY) ?? '{}');
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const choices: DeviceChoices = {};
  for (const kind of KINDS) {
    const id: unknown = (parsed as Record<string, unknown>)[kind];
    if (typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH) choices[kind] = id;
  }
  return choices;
}

/** Remembers `deviceId` for `kind` (empty: back to the default); false when it could not be stored. */
export function saveDeviceChoice(kind: DeviceKind, deviceId: string): boolean {
  const choices = loadDeviceChoices();
  if (deviceId) choices[kind] = deviceId.slice(0, MAX_ID_LENGTH);
  else delete choices[kind];
  try {
    storage()?.setItem(STORAGE_KEY, JSON.stringify(choices));
    return !!storage();
  } catch {
    return false;
  }
}
