/**
 * videocall-room/room: the headless call, for pages that draw their own UI.
 * The same `Room` the `<videocall-room>` element is a view over, without the
 * element (importing this module defines nothing and pulls in no Lit).
 *
 * ```ts
 * import { Room } from 'videocall-room/room';
 * const room = new Room({ server: 'https://relay.example', room: 'standup', name: 'Ada' });
 * room.addEventListener('participant-joined', (e) => showTile(e.participant));
 * await room.join();
 * ```
 * @packageDocumentation
 */
export { Room, type JoinTimes, type RoomOptions, type RoomState, type TransportChoice } from './call/room.js';
export type { RoomEventMap } from './call/events.js';
export type { FrameTimeline, PlayoutSample, TimelineRecord, TimelineStage } from './call/frame-timeline.js';
export { VideoCallError, type VideoCallErrorCode } from './call/errors.js';
export type { ParticipantInfo } from './call/remote-participant.js';
export { ErrorCode } from './protocol/error-codes.js';
export { PROTOCOL_VERSION } from './protocol/version.js';
export type {
  CallStats,
  ConnectionQuality,
  LocalAudioStats,
  LocalLayerStats,
  LocalStats,
  LocalVideoStats,
  ParticipantStats,
  QualityReason,
  RemoteAudioStats,
  RemoteVideoStats,
} from './call/call-stats.js';
export { QualityChangedEvent } from './call/quality-event.js';
