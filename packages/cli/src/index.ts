export type {
  AgentApplyReport,
  AgentSummary,
  AgentsReport,
  ApplyAgentsOptions,
  ApplyReport,
  HistoryReport,
} from "./agents.ts";
export {
  ApplyOutcome,
  agentHistory,
  applyAgents,
  checkAgentName,
  checkAudit,
  DEFAULT_APPLY_REASON,
  defaultAppliedBy,
  listAgents,
  readDefinitions,
} from "./agents.ts";
export {
  renderAgentApplied,
  renderAgents,
  renderApplySummary,
  renderHistory,
} from "./agents-output.ts";
export type { FailureReport } from "./cli.ts";
export { createProgram, describeFailure, runCli } from "./cli.ts";
export type { CliConfig, ConfigOverrides } from "./connection.ts";
export {
  CONNECT_TIMEOUT_MS,
  cliConnectionOptions,
  connectCli,
  readCliConfig,
  withNats,
} from "./connection.ts";
export type { CliFailure } from "./errors.ts";
export {
  AgentNotFound,
  BucketNotFound,
  DefinitionsInvalid,
  DefinitionsUnreadable,
  isCliFailure,
  JetStreamUnavailable,
  KeyNotFound,
  LiveDefinitionUnreadable,
  NatsAuthRejected,
  NatsConnectionLost,
  NatsRequestTimedOut,
  NatsUnreachable,
  UsageError,
  WriteConflict,
} from "./errors.ts";
export { ExitCode } from "./exit-code.ts";
export type { GlobalOptions, RawGlobalArgs } from "./global-options.ts";
export {
  DEFAULT_DISCOVERY_TIMEOUT_MS,
  globalArgs,
  hoistGlobalOptions,
  parseTimeout,
  readGlobalOptions,
} from "./global-options.ts";
export type { CliIo, TextSink } from "./io.ts";
export type {
  BucketStats,
  KvChange,
  KvRecord,
  OpenBucket,
  WatchOptions,
} from "./knowledge-bucket.ts";
export { checkKey, getRecord, listKeys, openBucket, watchRecords } from "./knowledge-bucket.ts";
export {
  formatBytes,
  formatDuration,
  jsonDocument,
  jsonLine,
  renderChange,
  renderRecord,
  renderStatus,
  renderTable,
} from "./output.ts";
export type { RecordValue } from "./record-value.ts";
export { decodeRecordValue } from "./record-value.ts";
export type {
  CollectStatusOptions,
  EndpointSummary,
  KnowledgeSummary,
  ServiceInstance,
  StatusReport,
} from "./status.ts";
export { collectStatus } from "./status.ts";
