/**
 * The wire boundary of the end-to-end key exchange: `KeyExchange` as the
 * generated protobuf code reads and writes it (inside an `Envelope`), to and
 * from the E2EE layer's {@link KeyExchangeMessage}. The step enum is converted
 * here and nowhere else.
 */
import { videocall } from '../protocol/gen/videocall.js';
import type { KeyExchangeMessage, KeyExchangeStep } from '../e2ee/key-messages.js';

/** Plain-object shape of `KeyExchange`, as the generated code accepts and returns it. */
export type KeyExchangeInit = videocall.KeyExchange.$Properties;

const Step = videocall.KeyExchangeStep;

const STEP_TO_WIRE: Readonly<Record<KeyExchangeStep, videocall.KeyExchangeStep>> = {
  commit: Step.KEY_COMMIT,
  reveal: Step.KEY_REVEAL,
  share: Step.KEY_SHARE,
  request: Step.KEY_REQUEST,
  restart: Step.KEY_RESTART,
};

const STEP_FROM_WIRE = new Map<number, KeyExchangeStep>(
  Object.entries(STEP_TO_WIRE).map(([step, value]) => [value, step as KeyExchangeStep]),
);

/** `message` as the `keyExchange` body of an envelope. */
export function keyExchangeToWire(message: KeyExchangeMessage): KeyExchangeInit {
  return {
    target: message.target,
    step: STEP_TO_WIRE[message.step],
    data: message.data,
    mac: message.mac,
    // Key ids stay far below 2^53 (a generation and a ratchet step).
    kid: Number(message.kid),
  };
}

/**
 * A received `keyExchange` body as the E2EE layer takes it, absent fields at
 * their protobuf defaults; null for an unknown (or unset) step. Sizes are not
 * checked here: the E2EE layer does that (`validateKeyExchange`).
 */
export function keyExchangeFromWire(wire: KeyExchangeInit): KeyExchangeMessage | null {
  const step = STEP_FROM_WIRE.get(wire.step ?? 0);
  if (!step) return null;
  return {
    target: wire.target ?? '',
    step,
    data: wire.data ?? new Uint8Array(0),
    mac: wire.mac ?? new Uint8Array(0),
    kid: BigInt(wire.kid ?? 0),
  };
}
