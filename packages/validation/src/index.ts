/**
 * The validation layer: composable validator pipelines run on the input, before each tool call
 * and on the output of every agent run, built once per agent definition version.
 * @packageDocumentation
 */

export type { AgentValidators, BuildOptions, ValidatorSource } from "./build.ts";
export { buildValidators } from "./build.ts";
export type { DenyPatternsConfig } from "./builtins/deny-patterns.ts";
export { createDenyPatternsValidator } from "./builtins/deny-patterns.ts";
export type { MaxInputSizeConfig } from "./builtins/max-input-size.ts";
export { createMaxInputSizeValidator } from "./builtins/max-input-size.ts";
export type { OutputJsonSchemaConfig } from "./builtins/output-json-schema.ts";
export { createOutputJsonSchemaValidator } from "./builtins/output-json-schema.ts";
export type { OutputMaxLengthConfig } from "./builtins/output-max-length.ts";
export { createOutputMaxLengthValidator } from "./builtins/output-max-length.ts";
export type { PiiRedactionConfig } from "./builtins/pii-redaction.ts";
export { createPiiRedactionValidator } from "./builtins/pii-redaction.ts";
export type { PromptInjectionConfig } from "./builtins/prompt-injection.ts";
export { createPromptInjectionValidator } from "./builtins/prompt-injection.ts";
export type { DefinitionVersion, ValidatorCacheOptions } from "./cache.ts";
export { ValidatorCache } from "./cache.ts";
export type { InjectionAssessment } from "./injection/score.ts";
export { assessPromptInjection } from "./injection/score.ts";
export { InjectionSignal } from "./injection/signals.ts";
export type {
  Approved,
  Modified,
  Passed,
  Rejected,
  RetryRequested,
  StageOutcome,
  VerdictRecord,
} from "./outcome.ts";
export { MAX_REASON_LENGTH, passed } from "./outcome.ts";
export type { Clock, PipelineOptions } from "./pipeline.ts";
export { ValidationPipeline } from "./pipeline.ts";
export { RedactionGroup, RedactionLabel } from "./redaction/patterns.ts";
export type { Redaction, RedactionOptions } from "./redaction/redact.ts";
export { Redactor, redactionMarker, redactSecrets } from "./redaction/redact.ts";
export type { CompiledSchema, SchemaCompiler } from "./schema-compiler.ts";
export { createSchemaCompiler } from "./schema-compiler.ts";
export type { RunInput, TextView, ToolCall } from "./text-view.ts";
export { inputView, outputView, toolCallView } from "./text-view.ts";
export { validationRejected } from "./validation-error.ts";
export type { Validator } from "./validator.ts";
export type { ApproveVerdict, ModifyVerdict, RejectVerdict, RetryVerdict } from "./verdict.ts";
export { Verdict } from "./verdict.ts";
