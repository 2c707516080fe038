/**
 * Simulated participants that speak the real protocol: what tests, benchmarks
 * and `videocall-cli bots` drive a relay with. Imports only src/protocol (and
 * src/shared), so it runs anywhere Node does.
 */
export {
  SimParticipant,
  SimParticipantError,
  type SimClip,
  type SimParticipantOptions,
  type SimPublisherIn,
  type SimStats,
} from './sim-participant.js';
export { webSocketLink, type SimConnect, type SimLink, type SimPriority } from './sim-link.js';
export { DEFAULT_LAYERS, type SimLayer } from './frame-model.js';
export {
  chooseTracks,
  layerFor,
  type PageView,
  type RosterPublisher,
  type Size,
  type TrackChoice,
} from './tile-page.js';
