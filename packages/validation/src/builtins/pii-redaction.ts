import type { RedactionLabel } from "../redaction/patterns.ts";
import { Redactor } from "../redaction/redact.ts";
import type { TextView } from "../text-view.ts";
import type { Validator } from "../validator.ts";
import { Verdict } from "../verdict.ts";
import { type ConfigOf, identityOf } from "./identity.ts";

/** The configuration of a `pii_redaction` validator. */
export type PiiRedactionConfig = ConfigOf<"pii_redaction">;

type Counts = Partial<Record<RedactionLabel, number>>;

/**
 * Finds e-mail addresses, phone numbers and API-key shapes (the groups the configuration
 * switches on) and either replaces each with `[redacted:<label>]` (`action: "redact"`, a
 * `modify`) or rejects (`action: "reject"`). Reasons count what was found by label; they never
 * quote it.
 */
export function createPiiRedactionValidator<T>(
  config: PiiRedactionConfig,
  view: TextView<T>,
): Validator<T> {
  const redactor = new Redactor({
    emails: config.emails,
    phones: config.phones,
    apiKeys: config.apiKeys,
  });
  const rejects = config.action === "reject";
  return {
    ...identityOf(config),
    modifies: !rejects,
    check(value: T): Verdict<T> {
      const counts: Counts = {};
      let total = 0;
      const redact = (text: string): string => {
        const redaction = redactor.redact(text);
        for (const [label, count] of Object.entries(redaction.counts) as [
          RedactionLabel,
          number,
        ][]) {
          counts[label] = (counts[label] ?? 0) + count;
        }
        total += redaction.total;
        return redaction.text;
      };
      if (rejects) {
        for (const text of view.texts(value)) redact(text);
        return total === 0
          ? Verdict.approve()
          : Verdict.reject(`the ${view.noun} contains ${describe(counts)}`);
      }
      const redacted = view.rewrite(value, redact);
      return total === 0
        ? Verdict.approve()
        : Verdict.modify(redacted, `redacted ${describe(counts)}`);
    },
  };
}

function describe(counts: Counts): string {
  return Object.entries(counts)
    .map(([label, count]) => `${count} ${label}`)
    .join(", ");
}
