import type { AgentDefinition, JsonValue } from "@patinox/contracts";
import { canonicalJson } from "./canonical-json.ts";
import { type FieldPathSegment, formatFieldPath } from "./field-path.ts";

/** How a field changes. */
export const FieldChangeKind = {
  /** The field is new: `after` only. */
  Added: "added",
  /** The field goes away: `before` only. */
  Removed: "removed",
  /** The value changes: `before` and `after`. */
  Changed: "changed",
  /** The same named items, in another order: `before` and `after` are their names. */
  Reordered: "reordered",
} as const;

/** One of the {@link FieldChangeKind} values. */
export type FieldChangeKind = (typeof FieldChangeKind)[keyof typeof FieldChangeKind];

/** One field that differs between two definitions. */
export interface FieldChange {
  /**
   * The field. Items of a list of named things (tools, fallback models, validators — named by
   * `name`, else `kind`) are addressed by name as plans address them
   * (`tools.lookup_order.timeoutMs`); items of other lists by index (`evolution.allow[0].max`).
   */
  readonly path: string;
  readonly kind: FieldChangeKind;
  /** The live value; absent when the field is added. */
  readonly before?: JsonValue;
  /** The new value; absent when the field is removed. */
  readonly after?: JsonValue;
}

/**
 * What changes from the `live` definition to `next`: one {@link FieldChange} per field that
 * differs, deepest first where both sides are maps or lists, in the order of `next` (removed
 * fields after). Empty exactly when both have the same canonical JSON ({@link canonicalJson}),
 * which is when applying `next` writes nothing. With no live definition every field of `next`
 * is added.
 */
export function diffDefinitions(
  live: AgentDefinition | undefined,
  next: AgentDefinition,
): FieldChange[] {
  const changes: FieldChange[] = [];
  walk([], live ?? {}, next, changes);
  return changes;
}

const SHOWN_VALUE_LENGTH = 60;

/**
 * One line for people: `tools.lookup_order.timeoutMs: 5000 → 8000`, with `(none)` for an
 * absent side and long values cut short (`{"name":"search_docs","description":"Sear…`).
 */
export function formatFieldChange(change: FieldChange): string {
  const side = (value: JsonValue | undefined) => {
    if (value === undefined) return "(none)";
    if (change.kind === FieldChangeKind.Reordered && Array.isArray(value)) return value.join(", ");
    const text = JSON.stringify(value);
    return text.length > SHOWN_VALUE_LENGTH ? `${text.slice(0, SHOWN_VALUE_LENGTH - 1)}…` : text;
  };
  const path = change.path === "" ? "(definition)" : change.path;
  const order = change.kind === FieldChangeKind.Reordered ? " order" : "";
  return `${path}${order}: ${side(change.before)} → ${side(change.after)}`;
}

function walk(
  path: readonly FieldPathSegment[],
  before: unknown,
  after: unknown,
  out: FieldChange[],
): void {
  if (canonicalJson(before) === canonicalJson(after)) return;
  const at = formatFieldPath(path);
  if (before === undefined) {
    out.push({ path: at, kind: FieldChangeKind.Added, after: after as JsonValue });
    return;
  }
  if (after === undefined) {
    out.push({ path: at, kind: FieldChangeKind.Removed, before: before as JsonValue });
    return;
  }
  if (isMap(before) && isMap(after)) {
    const keys = [
      ...Object.keys(after),
      ...Object.keys(before).filter((k) => !Object.hasOwn(after, k)),
    ];
    for (const key of keys) walk([...path, key], field(before, key), field(after, key), out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const beforeNames = itemNames(before);
    const afterNames = itemNames(after);
    if (beforeNames && afterNames) {
      walkNamedItems(
        path,
        { items: before, names: beforeNames },
        { items: after, names: afterNames },
        out,
      );
      return;
    }
    if (before.length === after.length && [...before, ...after].some(isMap)) {
      for (const [index, item] of before.entries()) walk([...path, index], item, after[index], out);
      return;
    }
  }
  out.push({
    path: at,
    kind: FieldChangeKind.Changed,
    before: before as JsonValue,
    after: after as JsonValue,
  });
}

interface NamedItems {
  readonly items: readonly unknown[];
  readonly names: readonly string[];
}

function walkNamedItems(
  path: readonly FieldPathSegment[],
  before: NamedItems,
  after: NamedItems,
  out: FieldChange[],
): void {
  const byName = (list: NamedItems) => new Map(list.names.map((name, i) => [name, list.items[i]]));
  const beforeByName = byName(before);
  const afterByName = byName(after);
  for (const name of after.names)
    walk([...path, name], beforeByName.get(name), afterByName.get(name), out);
  for (const name of before.names) {
    if (!afterByName.has(name)) walk([...path, name], beforeByName.get(name), undefined, out);
  }
  const keptBefore = before.names.filter((name) => afterByName.has(name));
  const keptAfter = after.names.filter((name) => beforeByName.has(name));
  if (JSON.stringify(keptBefore) !== JSON.stringify(keptAfter)) {
    out.push({
      path: formatFieldPath(path),
      kind: FieldChangeKind.Reordered,
      before: keptBefore,
      after: keptAfter,
    });
  }
}

/**
 * The names of a list's items when every item is a map named by `name` (tools, models) or,
 * failing that, `kind` (validators), and no name repeats; otherwise `undefined`.
 */
function itemNames(items: readonly unknown[]): string[] | undefined {
  const names: string[] = [];
  for (const item of items) {
    if (!isMap(item)) return undefined;
    const name = field(item, "name") ?? field(item, "kind");
    if (typeof name !== "string") return undefined;
    names.push(name);
  }
  return new Set(names).size === names.length ? names : undefined;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function field(value: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(value, key) ? value[key] : undefined;
}
