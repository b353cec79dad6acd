export type { ActorContext, ActorDefinition, ActorRef, Behavior, MailboxOptions } from "./actor.js";
export type { AskOptions } from "./ask.js";
export { ask } from "./ask.js";
export type { Clock } from "./clock.js";
export { systemClock } from "./clock.js";
export type {
  ActorStoppedOptions,
  AskTimeoutOptions,
  MailboxFullOptions,
  SupervisorGaveUpOptions,
} from "./errors.js";
export { ActorStopped, AskTimeout, MailboxFull, SupervisorGaveUp } from "./errors.js";
export { OverflowPolicy } from "./overflow-policy.js";
export type {
  BackoffOptions,
  RestartIntensity,
  RestartStrategy,
  Supervisor,
  SupervisorOptions,
} from "./supervisor.js";
export { createSupervisor } from "./supervisor.js";
export type {
  SupervisionState,
  SupervisionStatus,
  SupervisorEvent,
  SupervisorStats,
} from "./supervisor-event.js";
