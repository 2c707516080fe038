/**
 * The People panel's rows and their order: pure logic, so the panel (loaded on
 * demand) and the element (which builds the rows) agree, and tests need no DOM.
 */
import type { ParticipantInfo } from '../call/remote-participant.js';

/** One person as the People panel shows them. */
export interface PersonRow {
  /** Their session id (ours for {@link local}). */
  readonly id: string;
  /** Display name; empty shows as Guest. */
  readonly name: string;
  /** This element's own participant. */
  readonly local: boolean;
  readonly mic: boolean;
  readonly camera: boolean;
  readonly screen: boolean;
  readonly handRaised: boolean;
  /** Place in the queue of raised hands, from 1; null while the hand is down. */
  readonly handPosition: number | null;
  /** End-to-end encryption with them (`off` for ourselves: the panel says whether ours is on instead). */
  readonly e2ee: ParticipantInfo['e2ee'];
  readonly safetyCode: string | null;
  /** For ourselves: our media is end-to-end encrypted. */
  readonly encrypted: boolean;
}

/** Above this many people (ourselves included) the panel offers a search field. */
export const FILTER_ABOVE = 8;

/**
 * The order of the panel: ourselves first, then raised hands in the order they
 * went up, then everyone else by name (in the language's collation, accents and
 * case aside), ties by id so the order never flips between renders.
 */
export function orderPeople(rows: readonly PersonRow[], lang: string): PersonRow[] {
  const collator = new Intl.Collator(lang, { sensitivity: 'base', numeric: true });
  const rank = (r: PersonRow) => (r.local ? 0 : r.handPosition !== null ? 1 : 2);
  return [...rows].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.handPosition ?? 0) - (b.handPosition ?? 0) ||
      collator.compare(a.name, b.name) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** Lowercase, without accents: "Élodie" is found by "elo". */
function folded(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

/** Whether `name` matches what was typed in the search field (anywhere in the name; empty matches all). */
export function matchesQuery(name: string, query: string): boolean {
  const q = folded(query.trim());
  return q === '' || folded(name).includes(q);
}
