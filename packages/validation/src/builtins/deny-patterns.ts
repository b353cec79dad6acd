import type { TextView } from "../text-view.ts";
import type { Validator } from "../validator.ts";
import { Verdict } from "../verdict.ts";
import { type ConfigOf, identityOf } from "./identity.ts";

/** The configuration of a `deny_patterns` validator. */
export type DenyPatternsConfig = ConfigOf<"deny_patterns">;

/**
 * Rejects a value any piece of text of which matches one of the patterns. The patterns are
 * compiled here, once per definition version. The reason names the pattern by its index in
 * the configuration, never the text it matched (which is the user's) nor its source (which
 * would teach a caller how to get around it).
 *
 * The patterns are the agent author's, and a regular expression with nested quantifiers can
 * take exponential time: keep them simple, and run `max_input_size` first.
 */
export function createDenyPatternsValidator<T>(
  config: DenyPatternsConfig,
  view: TextView<T>,
): Validator<T> {
  // No `g` or `y`: a global regex keeps `lastIndex` between `test` calls, and these are shared
  // by every run of the definition.
  const flags = config.caseInsensitive ? "iu" : "u";
  const patterns = config.patterns.map((source) => new RegExp(source, flags));
  return {
    ...identityOf(config),
    modifies: false,
    check(value: T): Verdict<T> {
      const texts = view.texts(value);
      for (const [index, pattern] of patterns.entries()) {
        for (const text of texts) {
          if (pattern.test(text)) {
            return Verdict.reject(`the ${view.noun} matches deny pattern patterns[${index}]`);
          }
        }
      }
      return Verdict.approve();
    },
  };
}
