/**
 * The fence around every event handler of a client connection: a bug one
 * connection triggers is logged and ends that connection, never the process.
 */
import { INTERNAL_ERROR, INTERNAL_ERROR_CLOSE, ProtocolError } from './errors.js';
import type { Logger } from './log.js';

/** What the guard needs of a connection: its id for the log, and a way to end it. */
export interface GuardedConnection {
  readonly sessionId: string;
  fail(err: ProtocolError): void;
}

/** Runs `fn`; an exception is logged and ends `connection` with `internal` (1011). */
export function guardConnection(connection: GuardedConnection, log: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error('connection handler threw', { session: connection.sessionId, err });
    try {
      connection.fail(new ProtocolError(INTERNAL_ERROR, 'the relay failed to handle a message', INTERNAL_ERROR_CLOSE));
    } catch (again) {
      log.error('closing after a handler error failed', { session: connection.sessionId, err: again });
    }
  }
}
