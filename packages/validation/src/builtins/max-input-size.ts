import type { TextView } from "../text-view.ts";
import type { Validator } from "../validator.ts";
import { Verdict } from "../verdict.ts";
import { type ConfigOf, identityOf } from "./identity.ts";

/** The configuration of a `max_input_size` validator. */
export type MaxInputSizeConfig = ConfigOf<"max_input_size">;

/**
 * Rejects a value larger than `maxBytes` UTF-8 bytes (bytes, not characters: what the model
 * and NATS are sent). Give it the lowest priority number of its stage, so no other validator
 * spends time on an oversized value.
 */
export function createMaxInputSizeValidator<T>(
  config: MaxInputSizeConfig,
  view: TextView<T>,
): Validator<T> {
  const { maxBytes } = config;
  return {
    ...identityOf(config),
    modifies: false,
    check(value: T): Verdict<T> {
      const bytes = view.byteLength(value);
      if (bytes <= maxBytes) return Verdict.approve();
      const size = Number.isFinite(bytes) ? `${bytes} bytes` : "too large to measure";
      return Verdict.reject(`the ${view.noun} is ${size}, over the limit of ${maxBytes} bytes`);
    },
  };
}
