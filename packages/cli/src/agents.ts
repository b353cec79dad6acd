import { hostname, userInfo } from "node:os";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  applyDefinition,
  type DefinitionRevision,
  DefinitionSourceUnreadable,
  definitionHistory,
  type FieldChange,
  InvalidDefinition,
  type LoadedDefinition,
  listLiveDefinitions,
  loadDefinitions,
  previewApply,
} from "@patinox/agents";
import { NAME_TOKEN_PATTERN, PatinoxError, type WireError } from "@patinox/contracts";
import { Knowledge } from "@patinox/knowledge";
import type { Environment } from "@patinox/runtime";
import {
  AgentNotFound,
  DefinitionsInvalid,
  DefinitionsUnreadable,
  LiveDefinitionUnreadable,
  UsageError,
  WriteConflict,
} from "./errors.ts";
import { openBucket } from "./knowledge-bucket.ts";

/** The reason recorded when `--reason` is not given. */
export const DEFAULT_APPLY_REASON = "applied with patinox agents apply";

/** What happened (or, in a dry run, would happen) to one agent. */
export const ApplyOutcome = {
  Created: "created",
  Updated: "updated",
  Unchanged: "unchanged",
} as const;

/** One of the {@link ApplyOutcome} values. */
export type ApplyOutcome = (typeof ApplyOutcome)[keyof typeof ApplyOutcome];

/** One agent in the report of `patinox agents apply`. */
export interface AgentApplyReport {
  readonly agent: string;
  /** The file it was read from. */
  readonly file: string;
  /** SHA-256 of the file, recorded with the version. */
  readonly sourceHash: string;
  readonly outcome: ApplyOutcome;
  /** The live version afterwards (in a dry run: the version it would be). */
  readonly version: number;
  /** The version live before; `null` for a new agent. */
  readonly previousVersion: number | null;
  /** The key's revision afterwards; `null` in a dry run. */
  readonly revision: number | null;
  /** What changed against the previous version (empty when unchanged). */
  readonly changes: readonly FieldChange[];
}

/** The report of `patinox agents apply` (its `--json` output). */
export interface ApplyReport {
  readonly bucket: string;
  /** When true, nothing was written: the outcomes say what an apply would do. */
  readonly dryRun: boolean;
  readonly appliedBy: string;
  readonly reason: string;
  readonly agents: readonly AgentApplyReport[];
}

/** Options of {@link applyAgents}. */
export interface ApplyAgentsOptions {
  readonly bucket: string;
  /** Compare with what is live and report, without writing. */
  readonly dryRun: boolean;
  readonly appliedBy: string;
  readonly reason: string;
  /** Called with each agent's report as soon as it is done, for progressive output. */
  readonly onAgent?: (report: AgentApplyReport) => void;
}

/**
 * Reads and checks every definition at `path` (a file or a directory of `*.yaml`/`*.yml`).
 * @throws DefinitionsInvalid listing every problem of every file
 * @throws DefinitionsUnreadable when the path cannot be read or holds no definition
 */
export async function readDefinitions(path: string): Promise<LoadedDefinition[]> {
  try {
    return await loadDefinitions(path);
  } catch (error) {
    if (error instanceof InvalidDefinition) throw new DefinitionsInvalid(error);
    if (error instanceof DefinitionSourceUnreadable) {
      throw new DefinitionsUnreadable(error.message, { cause: error });
    }
    throw error;
  }
}

/**
 * Applies checked definitions one after the other, each with compare-and-set (see
 * `applyDefinition`), or with `dryRun` only compares them with what is live. The bucket must
 * exist (a service creates it). A failure stops at that agent; its message names the agents
 * already applied.
 */
export async function applyAgents(
  nc: NatsConnection,
  definitions: readonly LoadedDefinition[],
  options: ApplyAgentsOptions,
): Promise<ApplyReport> {
  const knowledge = await openKnowledge(nc, options.bucket);
  const agents: AgentApplyReport[] = [];
  for (const loaded of definitions) {
    const report = await translateKnowledgeErrors(
      loaded.definition.name,
      agents,
      options.dryRun,
      () => applyOne(knowledge, loaded, options),
    );
    agents.push(report);
    options.onAgent?.(report);
  }
  return {
    bucket: options.bucket,
    dryRun: options.dryRun,
    appliedBy: options.appliedBy,
    reason: options.reason,
    agents,
  };
}

async function applyOne(
  knowledge: Knowledge,
  loaded: LoadedDefinition,
  options: ApplyAgentsOptions,
): Promise<AgentApplyReport> {
  const base = { agent: loaded.definition.name, file: loaded.file, sourceHash: loaded.sourceHash };
  if (options.dryRun) {
    const preview = await previewApply(knowledge, loaded.definition);
    return {
      ...base,
      outcome: outcomeOf(preview.created, preview.changed),
      version: preview.version,
      previousVersion: preview.liveVersion ?? null,
      revision: null,
      changes: preview.diff,
    };
  }
  const result = await applyDefinition(knowledge, loaded.definition, {
    appliedBy: options.appliedBy,
    reason: options.reason,
    sourceHash: loaded.sourceHash,
    // The record keeps at most 500 characters of source; a longer path is left out.
    ...(loaded.file.length <= 500 ? { source: loaded.file } : {}),
  });
  return {
    ...base,
    outcome: outcomeOf(result.created, result.changed),
    version: result.version,
    previousVersion: result.created ? null : result.changed ? result.version - 1 : result.version,
    revision: result.revision,
    changes: result.diff,
  };
}

function outcomeOf(created: boolean, changed: boolean): ApplyOutcome {
  if (created) return ApplyOutcome.Created;
  return changed ? ApplyOutcome.Updated : ApplyOutcome.Unchanged;
}

/** The report of `patinox agents history <agent>` (its `--json` output). */
export interface HistoryReport {
  readonly bucket: string;
  readonly agent: string;
  /** Every kept revision, oldest first. */
  readonly revisions: readonly DefinitionRevision[];
}

/**
 * Every kept revision of an agent's definition, oldest first.
 * @throws UsageError for an invalid agent name; AgentNotFound when there is none
 */
export async function agentHistory(
  nc: NatsConnection,
  bucket: string,
  agent: string,
): Promise<HistoryReport> {
  checkAgentName(agent);
  const knowledge = await openKnowledge(nc, bucket);
  const revisions = await definitionHistory(knowledge, agent);
  if (revisions.length === 0) throw new AgentNotFound(agent, bucket);
  return { bucket, agent, revisions };
}

/** One agent in `patinox agents ls`. */
export type AgentSummary =
  | {
      readonly agent: string;
      readonly valid: true;
      readonly version: number;
      readonly revision: number;
      readonly appliedBy: string;
      readonly appliedAt: string;
      readonly reason: string;
      readonly sourceHash?: string;
    }
  | { readonly agent: string; readonly valid: false; readonly error: WireError };

/** The report of `patinox agents ls` (its `--json` output). */
export interface AgentsReport {
  readonly bucket: string;
  /** Sorted by name. */
  readonly agents: readonly AgentSummary[];
}

/** Every agent with a live definition, and its version. */
export async function listAgents(nc: NatsConnection, bucket: string): Promise<AgentsReport> {
  const knowledge = await openKnowledge(nc, bucket);
  const live = await listLiveDefinitions(knowledge);
  return {
    bucket,
    agents: live.map((entry): AgentSummary => {
      if (!entry.valid) return { agent: entry.agent, valid: false, error: entry.error };
      const { record } = entry;
      return {
        agent: entry.agent,
        valid: true,
        version: record.version,
        revision: entry.revision,
        appliedBy: record.appliedBy,
        appliedAt: record.appliedAt,
        reason: record.reason,
        ...(record.sourceHash === undefined ? {} : { sourceHash: record.sourceHash }),
      };
    }),
  };
}

/**
 * Who `apply` records when `--by` is not given: `cli:<user>@<host>`, the user from the
 * operating system (else `USER` or `LOGNAME`, else `unknown`).
 */
export function defaultAppliedBy(env: Environment): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container running as an arbitrary uid).
  }
  user ||= env.USER?.trim() || env.LOGNAME?.trim() || "unknown";
  return `cli:${user}@${hostname()}`.slice(0, 200);
}

/** Checks `--by` and `--reason`: what the record accepts. */
export function checkAudit(appliedBy: string, reason: string): void {
  if (appliedBy.trim() === "" || appliedBy.length > 200) {
    throw new UsageError("--by: expected 1 to 200 characters");
  }
  if (reason.trim() === "" || reason.length > 1000) {
    throw new UsageError("--reason: expected 1 to 1000 characters");
  }
}

/** An agent name as subjects and keys take it. */
export function checkAgentName(agent: string): void {
  if (!NAME_TOKEN_PATTERN.test(agent)) {
    throw new UsageError(`invalid agent name "${agent}": expected 1 to 64 letters, digits, _ or -`);
  }
}

/** The bucket, existing (never created here: a service creates it with its settings). */
async function openKnowledge(nc: NatsConnection, bucket: string): Promise<Knowledge> {
  const { kv } = await openBucket(nc, bucket);
  return new Knowledge(kv, bucket);
}

/** Turns the knowledge errors of one agent's apply into the CLI's explained ones. */
async function translateKnowledgeErrors<T>(
  agent: string,
  done: readonly AgentApplyReport[],
  dryRun: boolean,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof PatinoxError)) throw error;
    const applied =
      dryRun || done.length === 0
        ? ""
        : ` Already applied: ${done.map((r) => `${r.agent} (version ${r.version})`).join(", ")}.`;
    if (error.code === "conflict") {
      throw new WriteConflict(
        `agent ${agent}: other writers kept changing its definition while applying; try again.${applied}`,
        { cause: error },
      );
    }
    if (error.code === "record_invalid") {
      throw new LiveDefinitionUnreadable(
        `agent ${agent}: the live definition cannot be read (${error.message}), so it is not overwritten; it may have been written by a newer Patinox.${applied}`,
        { cause: error },
      );
    }
    throw error;
  }
}
