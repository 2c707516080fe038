/**
 * An error with a stable `code` a caller can switch on; `message` says what a
 * person can do about it, `cause` keeps what was caught. Each layer subclasses it
 * with its own code union and `name` (`TransportError`, `E2eeError`, …).
 */
export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
