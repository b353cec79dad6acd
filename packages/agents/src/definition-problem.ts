/** What kind of problem a definition file has. */
export const DefinitionProblemKind = {
  /** The text is not valid YAML (or holds more than one document). */
  Syntax: "syntax",
  /** The YAML does not match the `AgentDefinition` schema (wrong type, unknown or missing field…). */
  Schema: "schema",
  /** The file is not named after the agent it defines (`agents/<name>.yaml`). */
  FileName: "file_name",
  /** Two files in one set define the same agent. */
  Duplicate: "duplicate",
} as const;

/** One of the {@link DefinitionProblemKind} values. */
export type DefinitionProblemKind =
  (typeof DefinitionProblemKind)[keyof typeof DefinitionProblemKind];

/** One problem in a definition file, with where it is. */
export interface DefinitionProblem {
  readonly kind: DefinitionProblemKind;
  /** The file, as the caller named it (relative paths stay relative). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /**
   * The field, `tools[0].timeoutMs` style; `""` for the whole document or a syntax error.
   * For a missing field it names the field, while line and column point at the map that
   * lacks it.
   */
  readonly path: string;
  /** What is wrong, in a few words (`expected a whole number, got 1.5`). */
  readonly message: string;
}

/**
 * The one-line form of a problem, as editors and terminals link it:
 * `examples/agents/support.yaml:12:5 tools[0].timeoutMs: expected a whole number, got 1.5`
 * (without the path and colon when the problem is about the whole document).
 */
export function formatProblem(problem: DefinitionProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.path === ""
    ? `${where} ${problem.message}`
    : `${where} ${problem.path}: ${problem.message}`;
}

/** Problems in reading order: by file, then line, then column. */
export function compareProblems(a: DefinitionProblem, b: DefinitionProblem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column;
}
