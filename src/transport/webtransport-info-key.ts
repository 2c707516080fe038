/**
 * The one `localStorage` entry where WebTransport descriptions are remembered for
 * all relays (per site, as storage is). On its own so the page, which only
 * hands the entry to the media worker, does not carry webtransport-info.ts.
 */
export const WEBTRANSPORT_INFO_STORAGE_KEY = 'videocall-room:webtransport-info';
