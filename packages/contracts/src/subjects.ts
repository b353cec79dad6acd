import type { EventKind } from "./events.ts";
import { checkDottedName, checkName } from "./internal/check-name.ts";
import type { TelemetryEventType } from "./telemetry.ts";

/** The default subject prefix. */
export const DEFAULT_PREFIX = "patinox";

/**
 * The NATS subjects of one Patinox installation. Builders validate every name against the
 * name grammar and throw a `PatinoxError` with code `invalid_name` otherwise, so a name can
 * never add tokens or wildcards to a subject.
 */
export interface Subjects {
  /** The prefix every subject starts with. */
  readonly prefix: string;
  /** `<p>.agents.<agent>.run`: run an agent (request/reply, queue group). */
  agentRun(agent: string): string;
  /** `<p>.agents.*.run`: Execute's subscription to every agent's run subject. */
  readonly agentRunAll: string;
  /** `<p>.runs.<runId>.cancel`: cancel a run in flight. */
  runCancel(runId: string): string;
  /** `<p>.runs.*.cancel`: Execute's subscription to every cancellation. */
  readonly runCancelAll: string;
  /** `<p>.jobs.<agent>`: durable jobs for an agent (JetStream work queue). */
  jobs(agent: string): string;
  /** `<p>.jobs.*`: the jobs stream's subjects. */
  readonly jobsAll: string;
  /** `<p>.results.<runId>`: where a job's result is published. */
  results(runId: string): string;
  /** `<p>.results.>`: the results stream's subjects. */
  readonly resultsAll: string;
  /** `<p>.tools.<name>`: a tool's service endpoint. */
  tool(name: string): string;
  /** `<p>.telemetry.<service>.<type>`: a telemetry event (`type` adds its dotted tokens). */
  telemetry(service: string, type: TelemetryEventType): string;
  /** `<p>.telemetry.<service>.>`: every telemetry event of one service. */
  telemetryOf(service: string): string;
  /** `<p>.telemetry.>`: the telemetry stream's subjects. */
  readonly telemetryAll: string;
  /** `<p>.events.<kind>.<agent>`: a finding or plan event. */
  events(kind: EventKind, agent: string): string;
  /** `<p>.events.<kind>.*`: every event of one kind. */
  eventsOf(kind: EventKind): string;
  /** `<p>.events.>`: the events stream's subjects. */
  readonly eventsAll: string;
  /** `<p>.deadletters.<service>`: messages a service terminated. */
  deadLetters(service: string): string;
  /** `<p>.deadletters.>`: the dead-letter stream's subjects. */
  readonly deadLettersAll: string;
  /** `<p>.svc.<service>.status`: a service's status endpoint. */
  serviceStatus(service: string): string;
}

/**
 * Creates the subject builders for `prefix` (dot-separated name tokens).
 * @throws PatinoxError `invalid_name` when the prefix breaks the grammar.
 */
export function createSubjects(prefix: string = DEFAULT_PREFIX): Subjects {
  const p = checkDottedName("prefix", prefix);
  return Object.freeze({
    prefix: p,
    agentRun: (agent: string) => `${p}.agents.${checkName("agent", agent)}.run`,
    agentRunAll: `${p}.agents.*.run`,
    runCancel: (runId: string) => `${p}.runs.${checkName("runId", runId)}.cancel`,
    runCancelAll: `${p}.runs.*.cancel`,
    jobs: (agent: string) => `${p}.jobs.${checkName("agent", agent)}`,
    jobsAll: `${p}.jobs.*`,
    results: (runId: string) => `${p}.results.${checkName("runId", runId)}`,
    resultsAll: `${p}.results.>`,
    tool: (name: string) => `${p}.tools.${checkName("tool", name)}`,
    telemetry: (service: string, type: TelemetryEventType) =>
      `${p}.telemetry.${checkName("service", service)}.${checkDottedName("type", type)}`,
    telemetryOf: (service: string) => `${p}.telemetry.${checkName("service", service)}.>`,
    telemetryAll: `${p}.telemetry.>`,
    events: (kind: EventKind, agent: string) =>
      `${p}.events.${checkName("kind", kind)}.${checkName("agent", agent)}`,
    eventsOf: (kind: EventKind) => `${p}.events.${checkName("kind", kind)}.*`,
    eventsAll: `${p}.events.>`,
    deadLetters: (service: string) => `${p}.deadletters.${checkName("service", service)}`,
    deadLettersAll: `${p}.deadletters.>`,
    serviceStatus: (service: string) => `${p}.svc.${checkName("service", service)}.status`,
  });
}
