/**
 * JSON with object keys sorted at every level (arrays keep their order) and `undefined` fields
 * left out: two values that mean the same have the same text, however their keys were written.
 * Definitions are compared this way to decide whether an apply changes anything.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "null";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[key];
    // Defined as an own data property, so a `__proto__` key stays data.
    if (field !== undefined) {
      Object.defineProperty(sorted, key, {
        value: sortKeys(field),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return sorted;
}
