import {
  canonicalText,
  decodedPayloads,
  leetVariant,
  plainText,
  rot13,
  squashedVariant,
} from "./normalize.ts";
import {
  InjectionSignal,
  OBFUSCATION_WEIGHT,
  SIGNAL_RULES,
  type SignalRule,
  SQUASHED_RULES,
} from "./signals.ts";

/** What the prompt-injection heuristic found in a text. */
export interface InjectionAssessment {
  /**
   * From 0 (nothing found) to 1: the signals combined as independent evidence,
   * `1 − Π(1 − weight)`, so one strong phrasing scores high and several weak ones add up.
   */
  readonly score: number;
  /** The signals found, strongest first; names only, never the text that raised them. */
  readonly signals: readonly InjectionSignal[];
}

// The rules looked for in decoded and re-lettered variants, chosen once.
const PHRASE_RULES = SIGNAL_RULES.filter((r) => r.deobfuscate);

const NOTHING: InjectionAssessment = Object.freeze({ score: 0, signals: Object.freeze([]) });

/**
 * Scores how much `text` looks like a prompt injection. A heuristic, and only that: it knows a
 * list of phrasings (instruction overrides, role-play jailbreaks, system-prompt exfiltration,
 * chat-template markers) and their common disguises (look-alike letters, invisible characters,
 * letters written one by one, leetspeak, ROT13, base64 and hex). It lowers risk; it cannot
 * prove a text safe. A paraphrase, another language or a new trick passes, and an ordinary
 * text quoting an attack is flagged. The model's own instructions and tool permissions are the
 * real defence. Linear in the length of the text.
 */
export function assessPromptInjection(text: string): InjectionAssessment {
  if (text.length === 0) return NOTHING;
  const weights = new Map<InjectionSignal, number>();
  const raise = (found: SignalRule): void => {
    weights.set(found.signal, Math.max(weights.get(found.signal) ?? 0, found.weight));
  };
  const plain = plainText(text);
  for (const found of SIGNAL_RULES) if (found.pattern.test(plain)) raise(found);

  // Phrasings hidden by a disguise: found in a variant but not in the plain text.
  let hidden = false;
  const search = (variant: string, rules: readonly SignalRule[]): void => {
    for (const found of rules) {
      if (!weights.has(found.signal) && found.pattern.test(variant)) {
        raise(found);
        hidden = true;
      }
    }
  };
  const canonical = canonicalText(text);
  if (canonical !== plain) search(canonical, SIGNAL_RULES);
  const leet = leetVariant(canonical);
  if (leet !== undefined) search(leet, PHRASE_RULES);
  search(rot13(canonical), PHRASE_RULES);
  const squashed = squashedVariant(text, canonical);
  if (squashed !== undefined) search(squashed, SQUASHED_RULES);
  for (const payload of decodedPayloads(text)) search(canonicalText(payload), PHRASE_RULES);
  if (hidden) weights.set(InjectionSignal.Obfuscation, OBFUSCATION_WEIGHT);

  if (weights.size === 0) return NOTHING;
  let clear = 1;
  for (const weight of weights.values()) clear *= 1 - weight;
  const signals = [...weights.entries()].sort((a, b) => b[1] - a[1]).map(([signal]) => signal);
  return { score: 1 - clear, signals };
}
