export type { TestCertificates } from "./certificates.ts";
export { createTestCertificates } from "./certificates.ts";
export type { AssistantReply, FinishReason, ReplyToolCall } from "./chat-completion.ts";
export type {
  ChatContentPart,
  ChatMessage,
  ChatRequest,
  ChatRole,
  ChatTool,
  ChatToolCall,
  ChatToolChoice,
  JsonSchema,
} from "./chat-request.ts";
export { messageText } from "./chat-request.ts";
export { freePort } from "./free-port.ts";
export type { JsonPath } from "./json-edits.ts";
export { jsonPaths, REMOVE, replaceAt } from "./json-edits.ts";
export type {
  ApiKeyCheck,
  ModelRequestOutcome,
  ModelRequestRecord,
} from "./model-request-record.ts";
export type { ModelHandler, ModelServerOptions } from "./model-server.ts";
export { ModelServer } from "./model-server.ts";
export { modelServerEntry } from "./model-server-entry.ts";
export type {
  DelayedStep,
  DisconnectStep,
  ErrorStep,
  ErrorStepOptions,
  HangStep,
  ScriptedToolCall,
  TextFinishReason,
  TextStep,
  TokenUsage,
  ToolCallsStep,
} from "./model-step.ts";
export { ModelStep } from "./model-step.ts";
export type { NatsClusterOptions } from "./nats-cluster.ts";
export { NatsCluster } from "./nats-cluster.ts";
export type { NatsProbeOptions } from "./nats-probe.ts";
export { probeNats } from "./nats-probe.ts";
export type { NatsServerOptions } from "./nats-server.ts";
export { NatsServer, natsServerBin } from "./nats-server.ts";
export type { ExampleContext, ExamplePosition } from "./schema-example.ts";
export { exampleValue } from "./schema-example.ts";
export type { SimulatedModel, SimulatedModelOptions } from "./simulated-model.ts";
export { simulatedModel, simulatedModelIds } from "./simulated-model.ts";
export { estimatePromptTokens, estimateTokens } from "./token-estimate.ts";
