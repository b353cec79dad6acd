import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
} from "yaml";
import type { FieldPathSegment } from "../field-path.ts";

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Which part of the field at a path to point at. */
export type Target =
  /** The field's value (a wrong type, a value out of range). */
  | "value"
  /** The field's key (an unknown field). */
  | "key"
  /** The map that holds the field (a missing field). */
  | "parent";

/** Turns an offset into the source into a 1-based line and column. */
export function positionAt(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(Math.max(0, offset));
  // `line` is 0 only when the counter saw no input at all (an empty text).
  return line === 0 ? { line: 1, column: 1 } : { line, column: col };
}

/**
 * Where the field at `path` is written in the document: its value, its key, or the map that
 * holds it. Where the path leaves the document (a missing field, an index past the end) the
 * deepest node that exists is used. Aliases are followed to their anchors.
 */
export function offsetOf(
  doc: Document.Parsed,
  path: readonly FieldPathSegment[],
  target: Target,
): number {
  const steps = target === "parent" ? path.slice(0, -1) : path;
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [index, segment] of steps.entries()) {
    const container = isAlias(node) ? node.resolve(doc) : node;
    const last = index === steps.length - 1;
    let next: unknown;
    if (isMap(container)) {
      const pair = container.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) return offset;
      if (last && target === "key") return rangeStart(pair.key) ?? offset;
      // `timeoutMs:` with nothing after it has no value node: point at the key.
      next = pair.value ?? pair.key;
    } else if (isSeq(container) && typeof segment === "number") {
      next = container.items[segment];
    }
    const start = rangeStart(next);
    if (start === undefined) return offset;
    node = next;
    offset = start;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}
