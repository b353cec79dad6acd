import { PatinoxError } from "../errors.ts";
import { MAX_PREFIX_LENGTH, NAME_TOKEN_PATTERN, PREFIX_PATTERN } from "../name-token.ts";

/** How much of a rejected name is echoed in the error's details. */
const ECHO_LENGTH = 80;

function rejected(field: string, value: unknown, grammar: string): PatinoxError {
  const shown = typeof value === "string" ? value.slice(0, ECHO_LENGTH) : `(${typeof value})`;
  return new PatinoxError(
    "invalid_name",
    `${field} ${JSON.stringify(shown)} must match ${grammar}`,
    {
      details: { field, value: shown, grammar },
    },
  );
}

/** Returns `value` if it is a name token; throws `invalid_name` naming `field` otherwise. */
export function checkName(field: string, value: unknown): string {
  if (typeof value === "string" && NAME_TOKEN_PATTERN.test(value)) return value;
  throw rejected(field, value, NAME_TOKEN_PATTERN.source);
}

/** Returns `value` if it is dot-separated name tokens; throws `invalid_name` otherwise. */
export function checkDottedName(field: string, value: unknown): string {
  if (
    typeof value === "string" &&
    value.length <= MAX_PREFIX_LENGTH &&
    PREFIX_PATTERN.test(value)
  ) {
    return value;
  }
  throw rejected(
    field,
    value,
    `${PREFIX_PATTERN.source} (at most ${MAX_PREFIX_LENGTH} characters)`,
  );
}

/** Returns `value` if it is a non-negative safe integer; throws `invalid_name` otherwise. */
export function checkEpochMs(field: string, value: unknown): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  throw rejected(field, String(value), "a non-negative integer (epoch milliseconds)");
}
