/**
 * The SFrame `metadata` (authenticated, not carried) of a chat or app-data
 * message sealed under a sender's media key. Chat shares the sender key and
 * its counter with media, so no nonce is ever used twice under one key; what
 * keeps the two apart is this metadata, in its own domain: it starts with the
 * ASCII label `vc-chat`, where media metadata starts with its small version
 * byte (`media-metadata.ts`). A sealed chat message replayed as a media frame
 * (or the reverse) fails to authenticate.
 *
 * What is bound, and why:
 * - the sender's session id: the relay stamps `from`, and a relay that re-stamps
 *   a message as another participant's makes it fail;
 * - the recipients (sorted): a relay that widens or narrows who a message was
 *   addressed to makes it fail at every recipient, so `to` as shown is what the
 *   sender wrote. (It can still drop a message; it cannot make one.)
 *
 * Layout: `"vc-chat"(7) | version(1)=1 | senderIdLength(1) | senderId |
 * recipientCount(1) | (idLength(1) | id)*`, ids in UTF-8.
 */
import { utf8 } from './bytes.js';
import { E2eeError } from './errors.js';

const LABEL = utf8('vc-chat');
/** Version byte of the chat metadata layout. */
export const CHAT_METADATA_VERSION = 1;

/** The metadata bytes for a chat message from `senderId` to `to` (empty: everyone). */
export function chatMetadata(senderId: string, to: readonly string[]): Uint8Array {
  const ids = [senderId, ...[...to].sort()].map((id) => utf8(id));
  if (to.length > 0xff) throw new E2eeError('e2ee-malformed', `At most 255 recipients, not ${to.length}.`);
  for (const id of ids) {
    if (id.length === 0 || id.length > 0xff)
      throw new E2eeError('e2ee-malformed', `Session ids are 1..255 bytes, not ${id.length}.`);
  }
  const length = LABEL.length + 1 + 1 + ids.reduce((n, id) => n + 1 + id.length, 0);
  const out = new Uint8Array(length);
  out.set(LABEL, 0);
  let at = LABEL.length;
  out[at++] = CHAT_METADATA_VERSION;
  const [sender, ...recipients] = ids;
  out[at++] = sender!.length;
  out.set(sender!, at);
  at += sender!.length;
  out[at++] = recipients.length;
  for (const id of recipients) {
    out[at++] = id.length;
    out.set(id, at);
    at += id.length;
  }
  return out;
}
