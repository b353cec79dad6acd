export { formatLogLine } from "./log-lines.ts";
export type { NatsSource } from "./nats-discovery.ts";
export {
  findNatsServer,
  INSTALL_HELP,
  jetStreamAnswers,
  NatsUnavailable,
  portFree,
  resolveNats,
} from "./nats-discovery.ts";
export type { ChildExited, ServiceProcessSpec } from "./service-process.ts";
export { serviceProcess } from "./service-process.ts";
export type { Stack, StackOptions } from "./stack.ts";
export { findRepositoryRoot, startStack } from "./stack.ts";
export type { StackConfig } from "./stack-config.ts";
export { readStackConfig, StackConfigSchema } from "./stack-config.ts";
