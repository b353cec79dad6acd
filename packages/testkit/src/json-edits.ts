/** A path into a JSON value: object keys and array indexes, outermost first. */
export type JsonPath = readonly (string | number)[];

/** Every path in `value`: the root (`[]`) first, then each member's, depth first. */
export function jsonPaths(value: unknown, base: JsonPath = []): JsonPath[] {
  if (value === null || typeof value !== "object") return [base];
  const entries = Array.isArray(value)
    ? value.map((member, i) => [i, member] as const)
    : Object.entries(value);
  return [base, ...entries.flatMap(([key, member]) => jsonPaths(member, [...base, key]))];
}

/** Given to {@link replaceAt} as the replacement: remove the member (the root becomes `null`). */
export const REMOVE: unique symbol = Symbol("remove");

/**
 * A copy of `value` with what is at `path` replaced by `replacement`, or removed when it is
 * {@link REMOVE}; `value` itself is not changed. For property tests that take a valid message
 * apart one field at a time.
 */
export function replaceAt(value: unknown, path: JsonPath, replacement: unknown): unknown {
  if (path.length === 0) return replacement === REMOVE ? null : replacement;
  const [head, ...rest] = path as [string | number, ...JsonPath];
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  if (rest.length === 0 && replacement === REMOVE) delete copy[head];
  else copy[head] = replaceAt(copy[head], rest, replacement);
  return copy;
}
