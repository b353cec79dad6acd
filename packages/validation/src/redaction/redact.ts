import {
  REDACTION_RULES,
  type RedactionGroup,
  type RedactionLabel,
  type RedactionRule,
} from "./patterns.ts";

/** Which groups of shapes to redact. Every group is on unless switched off. */
export interface RedactionOptions {
  /** @default true */
  readonly emails?: boolean;
  /** @default true */
  readonly phones?: boolean;
  /** API keys, tokens and private keys. @default true */
  readonly apiKeys?: boolean;
}

/** A redacted text and what was taken out of it (counts only). */
export interface Redaction {
  readonly text: string;
  /** How many of each shape were replaced; empty when the text was clean. */
  readonly counts: Readonly<Partial<Record<RedactionLabel, number>>>;
  /** The sum of `counts`. */
  readonly total: number;
}

/**
 * A replacement can change what the rules around it see (a `]` where a letter was lets a
 * lookbehind pass), so the rules run again until a pass finds nothing. A clean text costs one
 * pass; each further pass replaces text with markers no rule matches, so it ends quickly.
 */
const MAX_PASSES = 8;

/** What replaces a shape: `[redacted:<label>]`, which no rule matches. */
export function redactionMarker(label: RedactionLabel): string {
  return `[redacted:${label}]`;
}

/**
 * The redaction rules for a set of groups, chosen once (per validator, or once for
 * {@link redactSecrets}) rather than on every call.
 */
export class Redactor {
  readonly #rules: readonly RedactionRule[];

  /** Keeps the rules of the groups `options` switches on. */
  constructor(options: RedactionOptions = {}) {
    const on: Record<RedactionGroup, boolean> = {
      emails: options.emails ?? true,
      phones: options.phones ?? true,
      apiKeys: options.apiKeys ?? true,
    };
    this.#rules = REDACTION_RULES.filter((rule) => on[rule.group]);
  }

  /** Replaces every shape found with its marker, counting what was replaced. */
  redact(text: string): Redaction {
    const counts: Partial<Record<RedactionLabel, number>> = {};
    let total = 0;
    let current = text;
    for (let pass = 0; pass < MAX_PASSES; pass += 1) {
      const before = total;
      for (const rule of this.#rules) {
        current = current.replace(rule.pattern, () => {
          counts[rule.label] = (counts[rule.label] ?? 0) + 1;
          total += 1;
          return redactionMarker(rule.label);
        });
      }
      if (total === before) break;
    }
    return { text: current, counts, total };
  }
}

const everything = new Redactor();

/**
 * The text with e-mail addresses, phone numbers, API keys, tokens and private keys replaced by
 * `[redacted:<label>]` markers. For anything that may carry a user's or a provider's text to a
 * log, a telemetry sample or an error. Idempotent: redacting twice changes nothing more.
 *
 * It finds known shapes; a secret of no known shape passes through, so it is a net, not a
 * guarantee.
 */
export function redactSecrets(text: string): string {
  return everything.redact(text).text;
}
