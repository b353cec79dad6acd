/**
 * The contracts of Patinox: wire and knowledge schemas (zod, published as JSON Schema),
 * subject and key builders, the error taxonomy, and the parse helpers every boundary uses.
 * Exports are sorted by module (Biome organises them), one module per concept.
 * @packageDocumentation
 */

export type { AgentDefinitionInput } from "./agent-definition.ts";
export {
  AgentDefinition,
  DefinitionPath,
  DefinitionPathPattern,
  definitionPathMatches,
  EvolutionPolicy,
  EvolutionRule,
  LimitsConfig,
  ModelConfig,
  ModelRef,
  RateLimitConfig,
  SloConfig,
  TelemetryConfig,
  ToolConfig,
  ValidatorsConfig,
} from "./agent-definition.ts";
export type { KeyEntry, SubjectEntry, WireSchemaEntry, WireSchemaName } from "./catalogue.ts";
export { KEY_CATALOGUE, SUBJECT_CATALOGUE, SubjectKind, WIRE_SCHEMAS } from "./catalogue.ts";
export type { DeadLetterOptions } from "./dead-letter.ts";
export { createDeadLetter, DEAD_LETTER_PREVIEW_BYTES, DeadLetter } from "./dead-letter.ts";
export type { ErrorSpec } from "./error-codes.ts";
export {
  ERROR_CODES,
  ErrorCategory,
  ErrorCode,
  ErrorSpecs,
  isErrorCode,
  Recovery,
} from "./error-codes.ts";
export type { PatinoxErrorOptions } from "./errors.ts";
export {
  fromWireError,
  INTERNAL_ERROR_MESSAGE,
  PatinoxError,
  toPatinoxError,
  toWireError,
} from "./errors.ts";
export { EventKind, FindingChange, FindingEvent, PlanChange, PlanEvent } from "./events.ts";
export { WIRE_EXAMPLES } from "./examples.ts";

export { JsonObject, JsonValue } from "./json.ts";
export { rejectsUnknownFields, wireJsonSchema } from "./json-schema.ts";
export { KnowledgeKeys, labelToken } from "./keys.ts";
export {
  AgentDefinitionRecord,
  DefinitionChange,
  Evolution,
  EvolutionVerdict,
  Finding,
  FindingKind,
  FindingStatus,
  MetricSample,
  Plan,
  PlanStatus,
  PullRequestRef,
  Severity,
} from "./knowledge-records.ts";
export { LeaseRecord } from "./lease-record.ts";
export {
  HISTOGRAM_SCHEMA,
  LatencyHistogram,
  MetricWindow,
  ModelCounters,
  ToolCounters,
} from "./metric-window.ts";
export {
  ConcreteSubject,
  MAX_PREFIX_LENGTH,
  NAME_TOKEN_PATTERN,
  NameToken,
  PREFIX_PATTERN,
  SubjectPrefix,
} from "./name-token.ts";
export type { ParseOptions, Result } from "./parse.ts";
export { encode, parseMessage, parseRecord } from "./parse.ts";
export {
  Count,
  CountMap,
  DurationMs,
  EventId,
  Label,
  Ratio,
  RunId,
  SchemaIssue,
  SchemaVersion,
  SpanId,
  Timestamp,
  TraceId,
  UsdAmount,
} from "./primitives.ts";
export { GENERATE_DOCS_COMMAND, renderWireDocs, SCHEMA_DIR, WIRE_DOC_PATH } from "./render-docs.ts";
export {
  BreakerProbe,
  BreakerRecord,
  BudgetRecord,
  RateBucketRecord,
} from "./resilience-records.ts";
export {
  CancelRequest,
  ChatMessage,
  JobRequest,
  JobResult,
  MAX_RUN_TIMEOUT_MS,
  RunMetadata,
  RunReply,
  RunRequest,
  RunStatus,
  Usage,
} from "./run.ts";
export { MAX_SCHEMA_ISSUES, schemaIssues } from "./schema-issues.ts";
export type { PatinoxServiceName } from "./service-names.ts";
export { PATINOX_SERVICES } from "./service-names.ts";
export {
  ActorKind,
  ActorNode,
  ActorState,
  StatusCheck,
  StatusReply,
  StatusRequest,
} from "./status.ts";
export type { StreamNames } from "./streams.ts";
export { streamNames } from "./streams.ts";
export type { Subjects } from "./subjects.ts";
export { createSubjects, DEFAULT_PREFIX } from "./subjects.ts";
export {
  BreakerState,
  BreakerStateEvent,
  ContentDigest,
  DefinitionInvalidEvent,
  ModelCallEvent,
  ModelCallStatus,
  RunCompletedEvent,
  TelemetryEvent,
  TelemetryEventType,
  ToolCallEvent,
  ToolCallStatus,
  ValidatorStage,
  ValidatorVerdict,
  ValidatorVerdictEvent,
} from "./telemetry.ts";
export type { ValidatorConfig } from "./validator-config.ts";
export {
  DenyPatternsValidator,
  InputValidatorConfig,
  JsonSchemaObject,
  MaxInputSizeValidator,
  OutputJsonSchemaValidator,
  OutputMaxLengthValidator,
  OutputValidatorConfig,
  PiiRedactionValidator,
  PromptInjectionValidator,
  ToolValidatorConfig,
  ValidatorKind,
} from "./validator-config.ts";
export { ErrorReply, MAX_ERROR_MESSAGE_LENGTH, WireError } from "./wire-error.ts";
