/**
 * videocall-room: the `<videocall-room>` element and the headless `Room` behind it.
 * Importing this module defines the element.
 * @packageDocumentation
 */
import { defineVideocallRoom } from './element/define-element.js';
import { VideocallRoomElement } from './element/videocall-room.js';

export { VideocallRoomElement } from './element/videocall-room.js';
export {
  VcErrorEvent,
  VcJoinedEvent,
  VcLeftEvent,
  VcParticipantJoinedEvent,
  VcParticipantLeftEvent,
  VcReconnectedEvent,
  VcReconnectingEvent,
  VcSendQualityEvent,
  VcTransportChangedEvent,
  VcMessageEvent,
  VcHandEvent,
} from './element/events.js';
export type { RoomMessageEvent, SendOptions } from './call/chat.js';
export { VcActiveSpeakerEvent, VcScreenShareEvent } from './element/large-room-events.js';
export { VcPrejoinEvent } from './element/prejoin-events.js';
export { ActiveSpeakerEvent, ScreenShareEvent } from './call/large-room-events.js';
export { Room, type JoinTimes, type RoomOptions, type RoomState, type TransportChoice } from './call/room.js';
export type { RoomEventMap } from './call/events.js';
export type { FrameTimeline, PlayoutSample, TimelineRecord, TimelineStage } from './call/frame-timeline.js';
export { VideoCallError, type VideoCallErrorCode } from './call/errors.js';
export type { ParticipantInfo } from './call/remote-participant.js';
export { ErrorCode } from './protocol/error-codes.js';
export { PROTOCOL_VERSION } from './protocol/version.js';

export { VcQualityChangedEvent } from './element/quality-events.js';
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

export { PACKAGE_VERSION } from './element/package-version.js';

// Loading the script twice (two embeds on one page) must not throw; two versions warn.
defineVideocallRoom(VideocallRoomElement);
