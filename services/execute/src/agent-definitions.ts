import {
  AgentDefinitionRecord,
  KnowledgeKeys,
  PatinoxError,
  type SchemaIssue,
  type Subjects,
  toPatinoxError,
} from "@patinox/contracts";
import type { Knowledge, KnowledgeChange } from "@patinox/knowledge";
import type { Logger } from "@patinox/runtime";
import { type AgentSnapshot, buildSnapshot } from "./agent-snapshot.ts";

/** What Execute knows of one agent: the newest revision seen and the last good snapshot. */
interface AgentEntry {
  /** The newest revision of `agents.<agent>.config` applied (put, delete or invalid). */
  readonly revision: number;
  /** The version runs use; absent once the agent is deleted or if no version was ever good. */
  readonly snapshot: AgentSnapshot | undefined;
  /** Why the newest revision was not loaded, when it was not. */
  readonly problem: PatinoxError | undefined;
}

/** Options of {@link AgentDefinitions}. */
export interface AgentDefinitionsOptions {
  readonly knowledge: Knowledge;
  readonly subjects: Subjects;
  readonly logger: Logger;
  /** Told of each revision that was rejected (telemetry's `definition.invalid`). */
  readonly onInvalid?: (rejection: DefinitionRejection) => void;
}

/** A revision of a definition that Execute refused, and the version it kept. */
export interface DefinitionRejection {
  readonly agent: string;
  readonly key: string;
  readonly revision: number;
  readonly keptVersion?: number;
  readonly issues: readonly SchemaIssue[];
}

/**
 * The live agent definitions, hot-reloaded from the knowledge bucket (`agents.*.config`).
 *
 * Copy-on-write: each version becomes an immutable {@link AgentSnapshot} (validators and tool
 * schemas compiled once) that replaces the previous one in the map; a run keeps the snapshot
 * it started with. A record that fails its schema, names another agent, or whose validators do
 * not compile is logged as an error and the last good version keeps serving: nothing in the
 * bucket can take Execute down. Changes are ordered by the key's revision, so a replayed or
 * late change never replaces a newer one.
 */
export class AgentDefinitions {
  readonly #entries = new Map<string, AgentEntry>();
  readonly #knowledge: Knowledge;
  readonly #subjects: Subjects;
  readonly #logger: Logger;
  readonly #onInvalid: ((rejection: DefinitionRejection) => void) | undefined;

  constructor(options: AgentDefinitionsOptions) {
    this.#knowledge = options.knowledge;
    this.#subjects = options.subjects;
    this.#logger = options.logger;
    this.#onInvalid = options.onInvalid;
  }

  /**
   * Applies every change of `agents.*.config` (the current values first) until `signal` aborts.
   * Returns when the watch ends; throws if it fails (the watcher actor is then restarted).
   */
  async follow(signal: AbortSignal): Promise<void> {
    for await (const change of this.#knowledge.watch(
      KnowledgeKeys.allAgentConfigs,
      AgentDefinitionRecord,
      { signal },
    )) {
      this.apply(change);
    }
  }

  /** Applies one change of an `agents.<agent>.config` key. */
  apply(change: KnowledgeChange<AgentDefinitionRecord>): void {
    const agent = change.key.split(".")[1] ?? change.key;
    const previous = this.#entries.get(agent);
    if (previous !== undefined && change.revision <= previous.revision) return;
    const keep = previous?.snapshot;
    switch (change.kind) {
      case "delete":
        this.#entries.set(agent, {
          revision: change.revision,
          snapshot: undefined,
          problem: undefined,
        });
        this.#logger.info({ agent, revision: change.revision }, "agent definition deleted");
        return;
      case "invalid":
        this.#reject(agent, change.revision, keep, change.error);
        return;
      case "put":
        this.#load(agent, change.revision, change.value, keep);
        return;
    }
  }

  /**
   * The snapshot a new run of `agent` uses. An agent the watch has not delivered yet (just
   * applied, or Execute just started) is read from the bucket directly, so a request right
   * after `patinox agents apply` never gets a spurious `unknown_agent`.
   * @throws PatinoxError `unknown_agent`, `config_invalid` (no good version), `invalid_name`
   */
  async snapshot(agent: string): Promise<AgentSnapshot> {
    const key = KnowledgeKeys.agentConfig(agent);
    let entry = this.#entries.get(agent);
    if (entry === undefined) {
      try {
        const found = await this.#knowledge.get(key, AgentDefinitionRecord);
        if (found !== undefined) {
          this.apply({ kind: "put", key, revision: found.revision, value: found.value });
        }
      } catch (error) {
        const problem = toPatinoxError(error);
        if (problem.code !== "record_invalid") throw problem;
        // Its revision is unknown here; 0 lets the watch's delivery of it (or a newer one) win.
        this.#reject(agent, 0, undefined, problem);
      }
      entry = this.#entries.get(agent);
    }
    if (entry?.snapshot !== undefined) return entry.snapshot;
    if (entry?.problem !== undefined) {
      throw new PatinoxError(
        "config_invalid",
        `agent ${agent} has no valid definition: ${entry.problem.message}`,
        { details: { agent, revision: entry.revision } },
      );
    }
    throw new PatinoxError("unknown_agent", `no agent named ${agent} is defined`, {
      details: { agent },
    });
  }

  #load(
    agent: string,
    revision: number,
    record: AgentDefinitionRecord,
    keep: AgentSnapshot | undefined,
  ): void {
    if (record.definition.name !== agent) {
      this.#reject(
        agent,
        revision,
        keep,
        new PatinoxError(
          "config_invalid",
          `the record under agents.${agent}.config defines agent ${record.definition.name}`,
        ),
      );
      return;
    }
    let snapshot: AgentSnapshot;
    try {
      snapshot = buildSnapshot(record, revision, this.#subjects);
    } catch (error) {
      this.#reject(agent, revision, keep, toPatinoxError(error));
      return;
    }
    this.#entries.set(agent, { revision, snapshot, problem: undefined });
    this.#logger.info(
      { agent, version: record.version, revision, appliedBy: record.appliedBy },
      "agent definition loaded",
    );
  }

  #reject(
    agent: string,
    revision: number,
    keep: AgentSnapshot | undefined,
    problem: PatinoxError,
  ): void {
    this.#entries.set(agent, { revision, snapshot: keep, problem });
    this.#onInvalid?.({
      agent,
      key: KnowledgeKeys.agentConfig(agent),
      revision,
      ...(keep ? { keptVersion: keep.version } : {}),
      issues: issuesOf(problem),
    });
    this.#logger.error(
      {
        agent,
        revision,
        code: problem.code,
        reason: problem.message,
        ...(problem.details ? { details: problem.details } : {}),
        keptVersion: keep?.version ?? null,
      },
      keep
        ? "agent definition rejected; the last good version keeps serving"
        : "agent definition rejected; the agent has no good version",
    );
  }
}

/** The schema issues a problem carries, or its message as one issue on the whole record. */
function issuesOf(problem: PatinoxError): SchemaIssue[] {
  const issues = problem.details?.issues;
  if (Array.isArray(issues)) return (issues as SchemaIssue[]).slice(0, 20);
  return [{ path: "", message: problem.message.slice(0, 512) }];
}
