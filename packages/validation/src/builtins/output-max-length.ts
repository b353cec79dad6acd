import type { Validator } from "../validator.ts";
import { Verdict } from "../verdict.ts";
import { type ConfigOf, identityOf } from "./identity.ts";

/** The configuration of an `output_max_length` validator. */
export type OutputMaxLengthConfig = ConfigOf<"output_max_length">;

/**
 * Refuses an output longer than `maxChars` characters, counted as Unicode code points (an
 * emoji is one, as a reader counts it; not two UTF-16 units). On a violation it asks the
 * model to answer again in fewer characters (`onViolation: "retry"`) or rejects.
 */
export function createOutputMaxLengthValidator(config: OutputMaxLengthConfig): Validator<string> {
  const { maxChars, onViolation } = config;
  return {
    ...identityOf(config),
    modifies: false,
    check(text: string): Verdict<string> {
      // A string never has more code points than UTF-16 units: most outputs stop here.
      if (text.length <= maxChars) return Verdict.approve();
      const chars = codePoints(text);
      if (chars <= maxChars) return Verdict.approve();
      const reason = `the output is ${chars} characters, over the limit of ${maxChars}`;
      if (onViolation === "reject") return Verdict.reject(reason);
      return Verdict.retry(
        reason,
        `Your reply was ${chars} characters long, over the limit of ${maxChars}. Answer again in at most ${maxChars} characters.`,
      );
    },
  };
}

function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point; a lone surrogate counts alone.
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}
