import { createHash } from "node:crypto";
import { basename } from "node:path";
import { AgentDefinition, NAME_TOKEN_PATTERN, type Result } from "@patinox/contracts";
import {
  type Document,
  isNode,
  isScalar,
  LineCounter,
  parseDocument,
  visit,
  type YAMLError,
} from "yaml";
import {
  compareProblems,
  type DefinitionProblem,
  DefinitionProblemKind,
} from "./definition-problem.ts";
import { InvalidDefinition } from "./errors.ts";
import { type FieldPathSegment, formatFieldPath } from "./field-path.ts";
import { describeIssues } from "./internal/issue-messages.ts";
import { offsetOf, positionAt, type Target } from "./internal/yaml-position.ts";

/** An agent definition read from a file, checked and with every default filled in. */
export interface LoadedDefinition {
  /** The file it came from, as the caller named it. */
  readonly file: string;
  readonly definition: AgentDefinition;
  /** SHA-256 (hex) of the file's text as UTF-8: tells whether a file is what is live. */
  readonly sourceHash: string;
}

/** Options of {@link parseDefinition}. */
export interface ParseDefinitionOptions {
  /**
   * Whether the file must be named after the agent: `support.yaml` (or `.yml`) defines
   * `name: support`. Turn off for text that did not come from a file of its own.
   * @default true
   */
  readonly checkFileName?: boolean;
}

/**
 * Aliases a document may expand before it is refused: a definition needs few, and a "billion
 * laughs" document would otherwise expand without bound.
 */
const MAX_ALIAS_COUNT = 100;

/** The extensions a definition file may have. */
export const DEFINITION_FILE_EXTENSIONS: readonly string[] = Object.freeze([".yaml", ".yml"]);

/**
 * Parses and checks the YAML text of one agent definition. Never throws: any text gives
 * either the definition (defaults filled in) or an {@link InvalidDefinition} listing every
 * problem with its line, column and field — YAML syntax errors (the document is not checked
 * further), schema problems (wrong type, unknown field, missing field, value out of range),
 * and a file not named after its agent (`agents/<name>.yaml`, see
 * {@link ParseDefinitionOptions.checkFileName}).
 *
 * @param text the file's content
 * @param fileName the file's path, used in messages and for the name check
 */
export function parseDefinition(
  text: string,
  fileName: string,
  options: ParseDefinitionOptions = {},
): Result<LoadedDefinition, InvalidDefinition> {
  try {
    const problems = findProblems(text, fileName, options);
    if (problems.kind === "invalid") {
      return { ok: false, error: new InvalidDefinition(problems.problems.sort(compareProblems)) };
    }
    const sourceHash = createHash("sha256").update(text, "utf8").digest("hex");
    return { ok: true, value: { file: fileName, definition: problems.definition, sourceHash } };
  } catch (error) {
    // The YAML library or a schema refinement failing on some input nobody foresaw: still a
    // problem with the file, never a crash.
    const problem = atStart(fileName, DefinitionProblemKind.Syntax, "could not be parsed");
    return { ok: false, error: new InvalidDefinition([problem], { cause: error }) };
  }
}

type Checked =
  | { readonly kind: "valid"; readonly definition: AgentDefinition }
  | { readonly kind: "invalid"; readonly problems: DefinitionProblem[] };

function findProblems(text: string, file: string, options: ParseDefinitionOptions): Checked {
  const lineCounter = new LineCounter();
  // `logLevel: "error"`: the library would otherwise print warnings on the process's stderr;
  // everything it could warn about is reported as a problem here instead.
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    logLevel: "error",
  });
  const syntax = [...doc.errors, ...doc.warnings];
  if (syntax.length > 0) {
    return { kind: "invalid", problems: syntax.map((e) => syntaxProblem(e, file, lineCounter)) };
  }
  if (doc.contents === null) {
    return {
      kind: "invalid",
      problems: [
        atStart(
          file,
          DefinitionProblemKind.Schema,
          "the file is empty; expected an agent definition (v, name, model, instructions…)",
        ),
      ],
    };
  }
  const complexKeys = complexKeyProblems(doc, file, lineCounter);
  if (complexKeys.length > 0) return { kind: "invalid", problems: complexKeys };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    return {
      kind: "invalid",
      problems: [
        atStart(
          file,
          DefinitionProblemKind.Syntax,
          `invalid YAML: more than ${MAX_ALIAS_COUNT} aliases expanded`,
        ),
      ],
    };
  }
  const locate = (path: readonly FieldPathSegment[], target: Target) =>
    positionAt(lineCounter, offsetOf(doc, path, target));
  const problems: DefinitionProblem[] = [];
  const parsed = AgentDefinition.safeParse(data);
  if (!parsed.success) {
    for (const issue of describeIssues(parsed.error.issues, data)) {
      const { line, column } = locate(issue.path, issue.target);
      problems.push({
        kind: DefinitionProblemKind.Schema,
        file,
        line,
        column,
        path: formatFieldPath(issue.path),
        message: issue.message,
      });
    }
  }
  if (options.checkFileName !== false) {
    const mismatch = fileNameProblem(data, file, locate);
    if (mismatch) problems.push(mismatch);
  }
  if (parsed.success && problems.length === 0) return { kind: "valid", definition: parsed.data };
  if (problems.length === 0) {
    problems.push(
      atStart(file, DefinitionProblemKind.Schema, "does not match the agent definition schema"),
    );
  }
  return { kind: "invalid", problems };
}

/**
 * A file defines the agent it is named after: `support.yaml` holds `name: support`. Checked
 * only when `name` is itself valid, so one mistake is not reported twice.
 */
function fileNameProblem(
  data: unknown,
  file: string,
  locate: (path: readonly FieldPathSegment[], target: Target) => { line: number; column: number },
): DefinitionProblem | undefined {
  const name =
    data !== null && typeof data === "object" && Object.hasOwn(data, "name")
      ? (data as { name: unknown }).name
      : undefined;
  if (typeof name !== "string" || !NAME_TOKEN_PATTERN.test(name)) return undefined;
  const base = basename(file);
  const extension = DEFINITION_FILE_EXTENSIONS.find((ext) => base.endsWith(ext));
  const stem = extension === undefined ? undefined : base.slice(0, -extension.length);
  if (stem === name) return undefined;
  const { line, column } = locate(["name"], "value");
  return {
    kind: DefinitionProblemKind.FileName,
    file,
    line,
    column,
    path: "name",
    message: `the file must be named after the agent: expected ${name}.yaml, got ${base}`,
  };
}

function syntaxProblem(
  error: YAMLError,
  file: string,
  lineCounter: LineCounter,
): DefinitionProblem {
  const { line, column } = positionAt(lineCounter, error.pos[0]);
  return {
    kind: DefinitionProblemKind.Syntax,
    file,
    line,
    column,
    path: "",
    message:
      error.code === "MULTIPLE_DOCS"
        ? "invalid YAML: a definition file holds one document, this is a second (---)"
        : `invalid YAML: ${error.message.split("\n")[0]}`,
  };
}

/** Keys that are lists or maps (`? [a, b]: c`): YAML allows them, a definition has no use for them. */
function complexKeyProblems(
  doc: Document.Parsed,
  file: string,
  lineCounter: LineCounter,
): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (pair.key === null || isScalar(pair.key)) return;
      const offset = isNode(pair.key) && pair.key.range ? pair.key.range[0] : 0;
      const { line, column } = positionAt(lineCounter, offset);
      problems.push({
        kind: DefinitionProblemKind.Syntax,
        file,
        line,
        column,
        path: "",
        message: "a key must be a plain name, not a list or a map",
      });
    },
  });
  return problems;
}

function atStart(file: string, kind: DefinitionProblemKind, message: string): DefinitionProblem {
  return { kind, file, line: 1, column: 1, path: "", message };
}
