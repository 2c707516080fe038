/**
 * Opening the camera and the microphone, with the constraints a call wants and
 * failures mapped to {@link CaptureError} codes.
 */
import { CaptureError, toCaptureError, type CaptureDevice } from './capture-error.js';

/** Camera options; sizes are ideals the browser may not meet. */
export interface CameraOptions {
  deviceId?: string;
  /** Default 1280. */
  width?: number;
  /** Default 720. */
  height?: number;
  /** Default 30. */
  frameRate?: number;
  facingMode?: 'user' | 'environment';
}

/** Microphone options. */
export interface MicrophoneOptions {
  deviceId?: string;
}

function mediaDevices(device: CaptureDevice): MediaDevices {
  // Undefined outside secure contexts (plain http on a public host).
  if (typeof navigator === 'undefined' || !navigator.mediaDevices) {
    throw new CaptureError('capture-failed', undefined, { cause: new Error(`no mediaDevices for ${device}`) });
  }
  return navigator.mediaDevices;
}

/** Camera constraints for `getUserMedia` (exported for tests and for `applyConstraints`). */
export function cameraConstraints(options: CameraOptions = {}): MediaTrackConstraints {
  const constraints: MediaTrackConstraints = {
    width: { ideal: options.width ?? 1280 },
    height: { ideal: options.height ?? 720 },
    frameRate: { ideal: options.frameRate ?? 30 },
  };
  if (options.deviceId) constraints.deviceId = { exact: options.deviceId };
  if (options.facingMode) constraints.facingMode = { ideal: options.facingMode };
  return constraints;
}

/**
 * Microphone constraints: echo cancellation, noise suppression and automatic
 * gain are asked for explicitly, so a browser whose default differs still applies them.
 */
export function microphoneConstraints(options: MicrophoneOptions = {}): MediaTrackConstraints {
  const constraints: MediaTrackConstraints = {
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
    channelCount: { ideal: 1 },
    sampleRate: { ideal: 48000 },
  };
  if (options.deviceId) constraints.deviceId = { exact: options.deviceId };
  return constraints;
}

/**
 * Opens a camera. The caller owns the track and stops it.
 * @throws {CaptureError} `camera-denied`, `camera-missing` or `capture-failed`
 */
export function openCamera(options: CameraOptions = {}): Promise<MediaStreamTrack> {
  return openDevice('camera', cameraConstraints(options));
}

/**
 * Opens a microphone. The caller owns the track and stops it.
 * @throws {CaptureError} `mic-denied`, `mic-missing` or `capture-failed`
 */
export function openMicrophone(options: MicrophoneOptions = {}): Promise<MediaStreamTrack> {
  return openDevice('mic', microphoneConstraints(options));
}

/** The one track `getUserMedia` gives for `device`; every failure as a {@link CaptureError}. */
async function openDevice(device: CaptureDevice, constraints: MediaTrackConstraints): Promise<MediaStreamTrack> {
  const kind = device === 'camera' ? 'video' : 'audio';
  try {
    const stream = await mediaDevices(device).getUserMedia({ [kind]: constraints });
    const track = kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    if (!track) {
      for (const t of stream.getTracks()) t.stop();
      throw new CaptureError('capture-failed', `The browser returned no ${kind} track.`);
    }
    return track;
  } catch (error) {
    throw toCaptureError(error, device);
  }
}
