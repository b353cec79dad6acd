import type { Validator } from "../validator.ts";
import type { Verdict } from "../verdict.ts";

/** Options of {@link fakeValidator}. */
export interface FakeValidatorOptions<T> {
  readonly name: string;
  readonly priority?: number;
  readonly modifies?: boolean;
  readonly check: (value: T) => Verdict<T>;
}

/** A validator whose decision a test scripts; it records every value it was given. */
export function fakeValidator<T>(options: FakeValidatorOptions<T>): Validator<T> & { seen: T[] } {
  const seen: T[] = [];
  return {
    name: options.name,
    kind: "fake",
    priority: options.priority ?? 100,
    modifies: options.modifies ?? false,
    seen,
    check(value: T): Verdict<T> {
      seen.push(value);
      return options.check(value);
    },
  };
}
