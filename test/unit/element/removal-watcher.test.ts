import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RemovalWatcher, REMOVAL_GRACE_MS } from '../../../src/element/removal-watcher.js';

/** A host whose place in the document the test sets, calling the watcher as Lit would. */
function setup() {
  const host = { isConnected: true };
  const onRemoved = vi.fn();
  const watcher = new RemovalWatcher(host, onRemoved);
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
});
