/**
 * Agent definitions: YAML files checked against the `AgentDefinition` schema with every
 * problem located by file, line, column and field; diffs between definitions; and versions
 * applied to the knowledge bucket with compare-and-set, with who applied them and why.
 * @packageDocumentation
 */

export type { ApplyOptions, ApplyResult } from "./apply-definition.ts";
export { applyDefinition } from "./apply-definition.ts";
export { canonicalJson } from "./canonical-json.ts";
export type { DefinitionRevision } from "./definition-history.ts";
export { definitionHistory, RevisionKind } from "./definition-history.ts";
export type { DefinitionProblem } from "./definition-problem.ts";
export { compareProblems, DefinitionProblemKind, formatProblem } from "./definition-problem.ts";
export type { FieldChange } from "./diff-definitions.ts";
export { diffDefinitions, FieldChangeKind, formatFieldChange } from "./diff-definitions.ts";
export { DefinitionSourceUnreadable, InvalidDefinition } from "./errors.ts";
export type { FieldPathSegment } from "./field-path.ts";
export { formatFieldPath } from "./field-path.ts";
export type { LiveDefinition } from "./live-definitions.ts";
export { listLiveDefinitions } from "./live-definitions.ts";
export { loadDefinitionFile, loadDefinitions } from "./load-definitions.ts";
export type { LoadedDefinition, ParseDefinitionOptions } from "./parse-definition.ts";
export { DEFINITION_FILE_EXTENSIONS, parseDefinition } from "./parse-definition.ts";
export type { ApplyPreview } from "./preview-apply.ts";
export { previewApply } from "./preview-apply.ts";
