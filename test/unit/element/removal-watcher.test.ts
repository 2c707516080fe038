import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  FRAME_WAIT_MS,
  RemovalWatcher,
  REMOVAL_GRACE_MS,
  type FrameScheduler,
} from '../../../src/element/removal-watcher.js';

/** A host whose place in the document the test sets, calling the watcher as Lit would. */
function setup(nextFrame?: FrameScheduler) {
  const host = { isConnected: true };
  const onRemoved = vi.fn();
  const watcher = new RemovalWatcher(host, onRemoved, REMOVAL_GRACE_MS, nextFrame);
  const disconnect = () => {
    host.isConnected = false;
    watcher.hostDisconnected();
  };
  const connect = () => {
    host.isConnected = true;
    watcher.hostConnected();
  };
  return { watcher, onRemoved, disconnect, connect };
}

describe('RemovalWatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls back once the host has stayed out of the document for the grace', () => {
    const { onRemoved, disconnect } = setup();
    disconnect();
    vi.advanceTimersByTime(REMOVAL_GRACE_MS - 1);
    expect(onRemoved).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onRemoved).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10 * REMOVAL_GRACE_MS);
    expect(onRemoved).toHaveBeenCalledTimes(1);
  });

  it('never calls back when the host is put back within the grace, in a later task', () => {
    const { onRemoved, disconnect, connect } = setup();
    disconnect();
    vi.advanceTimersByTime(REMOVAL_GRACE_MS / 2);
    connect();
    vi.advanceTimersByTime(10 * REMOVAL_GRACE_MS);
    expect(onRemoved).not.toHaveBeenCalled();
  });

  it('ignores a disconnect that comes when the host is already in its new place (append, insertBefore)', () => {
    const { watcher, onRemoved } = setup();
    watcher.hostDisconnected(); // still connected: a move
    vi.advanceTimersByTime(10 * REMOVAL_GRACE_MS);
    expect(onRemoved).not.toHaveBeenCalled();
  });

  it('waits a full grace from the last removal when moved out and back and out again', () => {
    const { onRemoved, disconnect, connect } = setup();
    disconnect();
    vi.advanceTimersByTime(REMOVAL_GRACE_MS - 10);
    connect();
    disconnect();
    vi.advanceTimersByTime(REMOVAL_GRACE_MS - 1);
    expect(onRemoved).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onRemoved).toHaveBeenCalledTimes(1);
  });

  describe('with animation frames (a visible page)', () => {
    /** Frames the test runs by hand, as a busy page runs them late; a callback cancelled during a frame does not run. */
    function frames() {
      const pending = new Map<number, () => void>();
      let next = 0;
      const schedule: FrameScheduler = (callback) => {
        const id = next++;
        pending.set(id, callback);
        return () => pending.delete(id);
      };
      const run = () => {
        for (const id of [...pending.keys()]) {
          const callback = pending.get(id);
          pending.delete(id);
          callback?.();
        }
      };
      return { schedule, run, waiting: () => pending.size };
    }

    it('calls back at the first frame after the grace when the host is still out', () => {
      const frame = frames();
      const { onRemoved, disconnect } = setup(frame.schedule);
      disconnect();
      vi.advanceTimersByTime(REMOVAL_GRACE_MS);
      expect(onRemoved).not.toHaveBeenCalled();
      frame.run();
      expect(onRemoved).toHaveBeenCalledTimes(1);
    });

    it('keeps a host a framework puts back in an animation frame that came after the grace (a busy page)', () => {
      const frame = frames();
      const { onRemoved, disconnect, connect } = setup(frame.schedule);
      disconnect();
      // The framework asks for the frame it puts the host back in right after removing it, before our grace is up.
      frame.schedule(connect);
      vi.advanceTimersByTime(REMOVAL_GRACE_MS + 50); // the frame is late
      frame.run();
      vi.advanceTimersByTime(10 * FRAME_WAIT_MS);
      expect(onRemoved).not.toHaveBeenCalled();
      expect(frame.waiting()).toBe(0);
    });

    it('does not wait for ever for a frame that never comes (the page went hidden)', () => {
      const frame = frames();
      const { onRemoved, disconnect } = setup(frame.schedule);
      disconnect();
      vi.advanceTimersByTime(REMOVAL_GRACE_MS + FRAME_WAIT_MS - 1);
      expect(onRemoved).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(onRemoved).toHaveBeenCalledTimes(1);
      frame.run(); // cancelled: no second call
      expect(onRemoved).toHaveBeenCalledTimes(1);
    });
  });
});
