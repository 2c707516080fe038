import { describe, expect, it } from 'vitest';
import { CaptureError, toCaptureError } from '../../../src/capture/capture-error.js';

/** What browsers throw: a DOMException-like object with a name (and `constraint` for OverconstrainedError). */
const browserError = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} from the browser`), { name, ...extra });

describe('toCaptureError', () => {
  it('maps permission refusals to *-denied', () => {
    expect(toCaptureError(browserError('NotAllowedError'), 'camera').code).toBe('camera-denied');
    expect(toCaptureError(browserError('NotAllowedError'), 'mic').code).toBe('mic-denied');
    expect(toCaptureError(browserError('PermissionDeniedError'), 'mic').code).toBe('mic-denied');
    expect(toCaptureError(browserError('SecurityError'), 'camera').code).toBe('camera-denied');
  });

  it('maps absent devices and unsatisfiable constraints to *-missing, naming the constraint', () => {
    expect(toCaptureError(browserError('NotFoundError'), 'camera').code).toBe('camera-missing');
    expect(toCaptureError(browserError('DevicesNotFoundError'), 'mic').code).toBe('mic-missing');
    const overconstrained = toCaptureError(browserError('OverconstrainedError', { constraint: 'width' }), 'camera');
    expect(overconstrained.code).toBe('camera-missing');
    expect(overconstrained.message).toContain('width');
  });

  it('maps everything else (device busy, no secure context) to capture-failed, keeping the cause', () => {
    const busy = browserError('NotReadableError');
    const error = toCaptureError(busy, 'camera');
    expect(error).toBeInstanceOf(CaptureError);
    expect(error.code).toBe('capture-failed');
    expect(error.cause).toBe(busy);
    expect(toCaptureError('weird', 'mic').code).toBe('capture-failed');
  });

  it('passes a CaptureError through unchanged', () => {
    const original = new CaptureError('mic-denied');
    expect(toCaptureError(original, 'camera')).toBe(original);
    expect(original.message).toMatch(/allow the microphone/);
  });
});
