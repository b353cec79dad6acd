import { canonicalJson, parseDefinition } from "@patinox/agents";
import {
  AgentDefinition,
  type DefinitionChange,
  type JsonValue,
  PatinoxError,
  type Result,
} from "@patinox/contracts";
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseDocument,
  type YAMLMap,
} from "yaml";
import { namedIndex } from "./definition-paths.ts";

/** The YAML text after a plan's changes, and the definition it now parses to. */
export interface EditedDefinition {
  readonly text: string;
  readonly definition: AgentDefinition;
}

/**
 * Applies a plan's changes to the YAML text of an agent definition. Each change is located
 * with the `yaml` package's Document API (keys by name, named list items by `name` or
 * `kind`) and only the text of that value is replaced, or one key inserted into its parent
 * mapping; every other byte of the file — comments, key order, quoting, folded strings,
 * blank lines — is left as it was. A `to` of `null` removes the key (a revert of a field that
 * was absent).
 *
 * The result is checked twice before anything is pushed: it must parse as an
 * `AgentDefinition`, and it must equal the old definition with exactly these changes made
 * (so an edit can never touch a field it did not mean to).
 *
 * @returns `config_invalid` when the text or the result is not a valid definition, or a
 *   change cannot be placed (its path names no such list item).
 */
export function applyChangesToYaml(
  text: string,
  fileName: string,
  changes: readonly DefinitionChange[],
): Result<EditedDefinition, PatinoxError> {
  const before = parseDefinition(text, fileName);
  if (!before.ok) {
    return fail(`${fileName} is not a valid agent definition before the change`, {
      problems: before.error.message.slice(0, 2000),
    });
  }
  let edited = text;
  for (const change of changes) {
    try {
      edited = applyOne(edited, change.path.split("."), change.to ?? null);
    } catch (error) {
      return fail(
        `cannot place the change to ${change.path} in ${fileName}: ${String((error as Error).message)}`,
        {
          path: change.path,
        },
      );
    }
  }
  const after = parseDefinition(edited, fileName);
  if (!after.ok) {
    return fail(`the changed ${fileName} is not a valid agent definition`, {
      problems: after.error.message.slice(0, 2000),
    });
  }
  const expected = structuredClone(before.value.definition) as unknown as Record<string, unknown>;
  for (const change of changes) setPath(expected, change.path.split("."), change.to ?? null);
  // Parsed again so a removed field comes back as its default, as it does from the file.
  const expectedDefinition = AgentDefinition.safeParse(expected);
  if (
    !expectedDefinition.success ||
    canonicalJson(expectedDefinition.data) !== canonicalJson(after.value.definition)
  ) {
    return fail(`the changed ${fileName} does not carry exactly the planned change`, {
      paths: changes.map((c) => c.path),
    });
  }
  return { ok: true, value: { text: edited, definition: after.value.definition } };
}

function fail(message: string, details: Record<string, JsonValue>): Result<never, PatinoxError> {
  return { ok: false, error: new PatinoxError("config_invalid", message, { details }) };
}

/** One change, on fresh ranges: the text is parsed again for every change. */
function applyOne(text: string, path: readonly string[], value: JsonValue): string {
  const doc = parseDocument(text);
  if (!isMap(doc.contents)) throw new Error("the document is not a mapping");
  let map: YAMLMap = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as string;
    const pair = pairOf(map, segment);
    const last = i === path.length - 1;
    if (!pair) {
      if (value === null) return text; // removing what is not there
      return insertKey(text, map, segment, nest(path.slice(i + 1), value));
    }
    const node = pair.value as Node | null;
    if (last) {
      if (value === null) return removePair(text, pair);
      return replaceValue(text, node, value, pair);
    }
    if (isMap(node)) {
      map = node;
      continue;
    }
    if (isSeq(node)) {
      const next = path[i + 1] as string;
      const items = node.items.map((item) => (isMap(item) ? item.toJSON() : undefined));
      const index = namedIndex(items, next);
      const item = node.items[index];
      if (index < 0 || !isMap(item)) throw new Error(`no item named ${next} in ${segment}`);
      if (i + 1 === path.length - 1) throw new Error(`cannot replace the whole item ${next}`);
      map = item;
      i++;
      continue;
    }
    throw new Error(`${segment} is not a mapping`);
  }
  throw new Error("empty path");
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key) as
    | Pair
    | undefined;
}

function nest(rest: readonly string[], value: JsonValue): JsonValue {
  return rest.reduceRight<JsonValue>((inner, key) => ({ [key]: inner }), value);
}

/** Replaces the text of a value node with the new value, rendered in the node's own style. */
function replaceValue(text: string, node: Node | null, value: JsonValue, pair: Pair): string {
  if (!node?.range) {
    // `key:` with nothing after it: write the value after the colon.
    const keyEnd = (pair.key as Node).range?.[1] ?? 0;
    const colon = text.indexOf(":", keyEnd);
    return splice(
      text,
      colon + 1,
      colon + 1,
      ` ${renderInline(value, columnOf(text, keyEnd) + 2)}`,
    );
  }
  const [start, valueEnd] = node.range;
  const end = trimEnd(text, start, valueEnd);
  const indent = columnOf(text, start);
  let rendered: string;
  const keyColumn = columnOf(text, (pair.key as Node).range?.[0] ?? start);
  if (isScalar(node) && typeof value === "string" && wantsBlock(value, node.type)) {
    // Multi-line text (instructions) stays a literal block, indented under its key.
    rendered = renderLiteralBlock(value, keyColumn + 2);
  } else if (isScalar(node) && (value === null || typeof value !== "object")) {
    rendered = renderScalar(value, node.type);
  } else if (
    (isSeq(node) || isMap(node)) &&
    !node.flow &&
    typeof value === "object" &&
    value !== null
  ) {
    // A block collection starts at its first item: the rendered block keeps that column.
    rendered = renderBlock(value, indent);
  } else {
    rendered = renderInline(value, indent);
  }
  return splice(text, start, end, rendered);
}

/** Inserts `key: value` as the last entry of a block mapping. */
function insertKey(text: string, map: YAMLMap, key: string, value: JsonValue): string {
  if (map.flow || map.items.length === 0 || !map.range) {
    throw new Error(`cannot add ${key} to an empty or flow mapping`);
  }
  const first = map.items[0]?.key as Node;
  const indent = " ".repeat(columnOf(text, first.range?.[0] ?? 0));
  const lastPair = map.items[map.items.length - 1] as Pair;
  const lastEnd =
    (lastPair.value as Node | null)?.range?.[1] ?? (lastPair.key as Node).range?.[1] ?? 0;
  const at = lineEnd(text, trimEnd(text, 0, lastEnd));
  const entry =
    typeof value === "object" && value !== null
      ? `${key}:\n${indent}  ${renderBlock(value, indent.length + 2)}`
      : `${key}: ${renderScalar(value, undefined)}`;
  return splice(text, at, at, `\n${indent}${entry}`);
}

/** Removes a key and its value, whole lines. */
function removePair(text: string, pair: Pair): string {
  const keyStart = (pair.key as Node).range?.[0] ?? 0;
  const valueEnd = (pair.value as Node | null)?.range?.[1] ?? (pair.key as Node).range?.[1] ?? 0;
  const from = text.lastIndexOf("\n", keyStart - 1) + 1;
  const to = lineEnd(text, trimEnd(text, keyStart, valueEnd));
  return splice(text, from, Math.min(text.length, to + 1), "");
}

/** Whether a string is written as a literal block: it was one, or it spans lines. */
function wantsBlock(value: string, type: string | undefined): boolean {
  const block = type === "BLOCK_LITERAL" || type === "BLOCK_FOLDED" || value.includes("\n");
  // A first line that starts with a space needs an indentation indicator; quoted is simpler.
  return block && !/^[ \t]/.test(value) && !/[^\S\n]\n|[^\S\n]$/.test(value);
}

/** `|`, `|-` or `|+` and the lines, each indented by `indent` (blank lines left empty). */
function renderLiteralBlock(value: string, indent: number): string {
  const trailing = /\n*$/.exec(value)?.[0].length ?? 0;
  const header = trailing === 0 ? "|-" : trailing === 1 ? "|" : "|+";
  const body = value.slice(0, value.length - trailing);
  const pad = " ".repeat(indent);
  const lines = body.split("\n").map((line) => (line === "" ? "" : `${pad}${line}`));
  // Keep-chomping's extra newlines are written as empty lines before the text that follows.
  return `${header}\n${lines.join("\n")}${"\n".repeat(Math.max(0, trailing - 1))}`;
}

function renderScalar(value: JsonValue, type: string | undefined): string {
  if (typeof value === "string") {
    if (type === "QUOTE_SINGLE") return `'${value.replaceAll("'", "''")}'`;
    if (type === "QUOTE_DOUBLE") return JSON.stringify(value);
  }
  return new Document(value).toString({ lineWidth: 0 }).trimEnd();
}

function renderInline(value: JsonValue, indent: number): string {
  if (typeof value !== "object" || value === null) return renderScalar(value, undefined);
  const doc = new Document(value);
  if (isSeq(doc.contents) || isMap(doc.contents)) doc.contents.flow = true;
  return indentTail(doc.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd(), indent);
}

function renderBlock(value: JsonValue, indent: number): string {
  return indentTail(new Document(value).toString({ lineWidth: 0 }).trimEnd(), indent);
}

/** Indents every line but the first (which continues where the old value started). */
function indentTail(rendered: string, indent: number): string {
  return rendered.split("\n").join(`\n${" ".repeat(indent)}`);
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

/** Backs `end` off over trailing whitespace and newlines (a block value's range includes them). */
function trimEnd(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && /\s/.test(text[e - 1] ?? "")) e--;
  return e;
}

/** The offset of the end of the line `offset` is on (before its newline). */
function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl < 0 ? text.length : nl;
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

/** Sets a value at a definition path in plain JSON (lists by name); `null` deletes. */
function setPath(root: Record<string, unknown>, path: readonly string[], value: JsonValue): void {
  let node: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i] as string;
    if (Array.isArray(node)) {
      node = node[namedIndex(node, segment)];
    } else {
      const record = node as Record<string, unknown>;
      record[segment] ??= {};
      node = record[segment];
    }
  }
  const last = path[path.length - 1] as string;
  const record = node as Record<string, unknown>;
  if (value === null) delete record[last];
  else record[last] = value;
}
