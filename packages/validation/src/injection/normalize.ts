/**
 * The text variants the prompt-injection heuristic reads, so the common disguises of a known
 * phrasing (look-alike letters, spacing, leetspeak, ROT13, base64 or hex) meet the same
 * patterns as the plain phrasing.
 */

// Combining marks (diacritics, after NFKD) and invisible characters (zero-width spaces and
// joiners, soft hyphens, bidi controls) that split a phrase without showing.
const INVISIBLE = /[\p{M}\p{Default_Ignorable_Code_Point}]/gu;

// Horizontal whitespace other than a lone space; newlines stay, since role markers are
// line-based. A lone space is left out of the match so ordinary text costs no replacements.
const SPACE_RUN = /[^\S\n ][^\S\n]*| [^\S\n]+/g;

// Cyrillic and Greek letters drawn like Latin ones (after lowercasing).
const HOMOGLYPHS: ReadonlyMap<string, string> = new Map([
  ["а", "a"],
  ["в", "b"],
  ["е", "e"],
  ["к", "k"],
  ["м", "m"],
  ["н", "h"],
  ["о", "o"],
  ["р", "p"],
  ["с", "c"],
  ["т", "t"],
  ["у", "y"],
  ["х", "x"],
  ["і", "i"],
  ["ј", "j"],
  ["ѕ", "s"],
  ["ԁ", "d"],
  ["һ", "h"],
  ["ӏ", "l"],
  ["ԛ", "q"],
  ["ԝ", "w"],
  ["α", "a"],
  ["ε", "e"],
  ["ι", "i"],
  ["κ", "k"],
  ["ν", "v"],
  ["ο", "o"],
  ["ρ", "p"],
  ["τ", "t"],
  ["υ", "u"],
  ["χ", "x"],
  ["ı", "i"],
]);
const HOMOGLYPH = new RegExp(`[${[...HOMOGLYPHS.keys()].join("")}]`, "gu");

// The separator between letters written one by one ("i g n o r e", "i.g.n.o.r.e"): removed
// only when the letters on both sides stand alone, so ordinary words are not glued together,
// and only when it is one character, so a wider gap still separates the words.
const SPACED_LETTER_GAP =
  /(?<=(?:^|[^\p{L}\p{N}])\p{L})[ .\-_*|,;:/\\+~'"`](?=\p{L}(?![\p{L}\p{N}]))/gu;

// Six or more letters written one by one: the sign that words may have been run together.
const SPACED_LETTERS = /(?:^|[^\p{L}\p{N}])(?:\p{L}[^\p{L}\p{N}\n]){5,}\p{L}(?![\p{L}\p{N}])/u;

const NOT_LETTER = /[^a-z]/g;

/**
 * The plain reading: lowercased, horizontal whitespace collapsed. Patterns are written for
 * this form.
 */
export function plainText(text: string): string {
  return text.toLowerCase().replace(SPACE_RUN, " ");
}

/**
 * The canonical reading: compatibility forms folded (fullwidth and mathematical letters become
 * ASCII), diacritics and invisible characters dropped, look-alike letters mapped to Latin,
 * letters written one by one joined again, then the plain reading.
 */
export function canonicalText(text: string): string {
  return text
    .normalize("NFKD")
    .toLowerCase()
    .replace(INVISIBLE, "")
    .replace(HOMOGLYPH, (c) => HOMOGLYPHS.get(c) ?? c)
    .replace(SPACED_LETTER_GAP, "")
    .replace(SPACE_RUN, " ");
}

/**
 * The canonical text as letters only ("ignoreallpreviousinstructions"), for text written letter
 * by letter with no wider gap between words; nothing when the text has no such run, since
 * ordinary words run together could spell a phrase by accident.
 */
export function squashedVariant(text: string, canonical: string): string | undefined {
  return SPACED_LETTERS.test(text) ? canonical.replace(NOT_LETTER, "") : undefined;
}

const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "@": "a",
  $: "s",
};
const LEET_CHAR = /[013457@$]/g;

/** The canonical text with leetspeak digits read as letters, or nothing when it has none. */
export function leetVariant(canonical: string): string | undefined {
  const mapped = canonical.replace(LEET_CHAR, (c) => LEET[c] ?? c);
  return mapped === canonical ? undefined : mapped;
}

/** ROT13 of the text (letters a to z; the text is already lowercase). */
export function rot13(text: string): string {
  // One pass over the code units into a buffer: a replace callback per letter costs ten times
  // as much on a long text.
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    units[i] = code >= 97 && code <= 122 ? ((code - 84) % 26) + 97 : code;
  }
  let out = "";
  // In chunks: spreading a whole long text would exceed the argument limit.
  for (let i = 0; i < units.length; i += 8192) {
    out += String.fromCharCode(...units.subarray(i, i + 8192));
  }
  return out;
}

// Runs that may be base64 (standard or URL-safe) or hex (bare, `\x`, `%` or `0x` escaped,
// space or comma separated). Searched on the original text: case matters to base64.
const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;
const HEX_RUN = /(?:(?:\\x|%|0x)?[0-9a-fA-F]{2}[ ,]?){8,}/g;
const HEX_NOISE = /\\x|%|0x|[ ,]/g;

/**
 * Most bytes decoded from one text. Decoding is linear in the text, but a cap keeps a large
 * input of base64 from costing a second full scan per variant; a payload past it goes unread.
 */
export const MAX_DECODED_BYTES = 1_048_576;

/** Share of printable characters a decoded run needs to count as hidden text, not binary. */
const PRINTABLE_RATIO = 0.85;

/**
 * The readable texts hidden in base64 or hex runs of `text`, one level deep. Binary data (an
 * image, a random key) decodes to unprintable bytes and is skipped.
 */
export function decodedPayloads(text: string): string[] {
  const found: string[] = [];
  let budget = MAX_DECODED_BYTES;
  const take = (bytes: Buffer): void => {
    budget -= bytes.length;
    const decoded = bytes.toString("utf8");
    if (decoded.length >= 8 && printableShare(decoded) >= PRINTABLE_RATIO) found.push(decoded);
  };
  for (const [run] of text.matchAll(BASE64_RUN)) {
    if (budget <= 0) return found;
    take(Buffer.from(run, "base64"));
  }
  for (const [run] of text.matchAll(HEX_RUN)) {
    if (budget <= 0) return found;
    take(Buffer.from(run.replace(HEX_NOISE, ""), "hex"));
  }
  return found;
}

function printableShare(text: string): number {
  let printable = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if ((code >= 0x20 && code < 0x7f) || code === 0x0a || code === 0x0d || code === 0x09) {
      printable += 1;
    }
  }
  return printable / text.length;
}
