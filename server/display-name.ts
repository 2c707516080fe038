/**
 * Display names as others see them: Unicode-normalised (NFKC, so look-alike
 * compatibility forms become their plain letters), without the characters that
 * let a name lie about itself: bidi overrides and isolates (which reorder what
 * follows, "evil\u202Egpj.exe"), zero-width and other invisible format
 * characters, fillers that render as blanks, and control characters. Runs of
 * white space become one space, and the ends are trimmed.
 */

/**
 * Format characters (Cf: bidi controls, zero-width space/joiners, word joiner,
 * BOM, tags…), controls (Cc), and the blank-looking fillers (Hangul fillers,
 * braille blank, the combining grapheme joiner) used to pad names invisibly.
 * A zero-width joiner between two pictographs is kept: it builds emoji such as 👩‍💻.
 */
const INVISIBLE =
  /(?<!\p{Extended_Pictographic}\uFE0F?)\u200D|\u200D(?!\p{Extended_Pictographic})|\p{Cc}|(?!\u200D)\p{Cf}|\u034F|\u115F|\u1160|\u17B4|\u17B5|\u180E|\u2800|\u3164|\uFFA0/gu;
const SPACES = /\s+/gu;

/** `name` made safe to show (see the module comment); may be empty when nothing visible was left. */
export function cleanDisplayName(name: string): string {
  return name.normalize('NFKC').replace(INVISIBLE, '').replace(SPACES, ' ').trim();
}
