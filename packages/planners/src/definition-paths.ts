import type { AgentDefinition, JsonValue } from "@patinox/contracts";

/**
 * Lists whose items a {@link DefinitionPath} addresses by name rather than by index
 * (`tools.search.timeoutMs`, `validators.output.output_max_length.maxChars`). A validator
 * without a `name` is named after its kind, as Execute and Analyze name it.
 */
function itemName(item: unknown): string | undefined {
  if (typeof item !== "object" || item === null) return undefined;
  const record = item as Record<string, unknown>;
  if (typeof record.name === "string") return record.name;
  if (typeof record.kind === "string") return record.kind;
  return undefined;
}

/** The index of the item called `name` in a named list, or -1. */
export function namedIndex(items: readonly unknown[], name: string): number {
  return items.findIndex((item) => itemName(item) === name);
}

/**
 * The value at a definition path (items of lists by name); `undefined` when any step is
 * missing. Reads the parsed definition, so defaults count as present.
 */
export function readDefinitionPath(
  definition: AgentDefinition,
  path: string,
): JsonValue | undefined {
  let node: unknown = definition;
  for (const segment of path.split(".")) {
    if (Array.isArray(node)) {
      const index = namedIndex(node, segment);
      if (index < 0) return undefined;
      node = node[index];
    } else if (typeof node === "object" && node !== null) {
      node = (node as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
    if (node === undefined) return undefined;
  }
  return node as JsonValue;
}
