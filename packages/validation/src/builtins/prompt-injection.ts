import { assessPromptInjection, type InjectionAssessment } from "../injection/score.ts";
import type { TextView } from "../text-view.ts";
import type { Validator } from "../validator.ts";
import { Verdict } from "../verdict.ts";
import { type ConfigOf, identityOf } from "./identity.ts";

/** The configuration of a `prompt_injection` validator. */
export type PromptInjectionConfig = ConfigOf<"prompt_injection">;

/**
 * Rejects a value a piece of text of which scores at or above `threshold` on the
 * prompt-injection heuristic ({@link assessPromptInjection}): a heuristic that lowers risk and
 * proves nothing. The reason gives the score and the names of the signals, not the text.
 */
export function createPromptInjectionValidator<T>(
  config: PromptInjectionConfig,
  view: TextView<T>,
): Validator<T> {
  const { threshold } = config;
  return {
    ...identityOf(config),
    modifies: false,
    check(value: T): Verdict<T> {
      let worst: InjectionAssessment | undefined;
      for (const text of view.texts(value)) {
        const assessment = assessPromptInjection(text);
        if (worst === undefined || assessment.score > worst.score) worst = assessment;
        if (worst.score >= threshold) break;
      }
      const score = worst?.score ?? 0;
      if (score < threshold) return Verdict.approve();
      const signals = worst?.signals.length ? worst.signals.join(", ") : "no signals";
      return Verdict.reject(
        `the ${view.noun} scores ${score.toFixed(2)} on the prompt-injection heuristic, at or above the threshold ${threshold} (${signals})`,
      );
    },
  };
}
