import {
  AgentDefinition,
  AgentDefinitionRecord,
  KnowledgeKeys,
  PatinoxError,
  schemaIssues,
} from "@patinox/contracts";
import { type Knowledge, Unchanged } from "@patinox/knowledge";
import { canonicalJson } from "./canonical-json.ts";
import { diffDefinitions, type FieldChange } from "./diff-definitions.ts";

/** Who applies a definition, and why: kept with the version as the audit trail. */
export interface ApplyOptions {
  /** Who or what applies it (`cli:alice@laptop`, `plan:applyOnMerge`); 1 to 200 characters. */
  readonly appliedBy: string;
  /** Why; 1 to 1000 characters. */
  readonly reason: string;
  /** SHA-256 (hex) of the source file ({@link LoadedDefinition.sourceHash}). */
  readonly sourceHash?: string;
  /** Where the definition came from (a file path, a pull request URL); at most 500 characters. */
  readonly source?: string;
  /** The clock `appliedAt` is read from. @default () => new Date() */
  readonly now?: () => Date;
}

/** What {@link applyDefinition} did. */
export interface ApplyResult {
  readonly agent: string;
  /** The live version afterwards: the new one when `changed`, else the one already live. */
  readonly version: number;
  /** Whether a new version was written. */
  readonly changed: boolean;
  /** Whether this was the agent's first version. */
  readonly created: boolean;
  /** The key's revision in the bucket afterwards. */
  readonly revision: number;
  /** What changed from the version that was live (empty when nothing did). */
  readonly diff: readonly FieldChange[];
}

/**
 * Makes `definition` the live version of its agent (`agents.<name>.config`) with a
 * compare-and-set write: the record gets `version` one more than the live one (1 for a new
 * agent) and who applied it and why. Concurrent appliers never lose an update: a lost race
 * re-reads and recomputes the version and the diff, so versions run 1, 2, 3… without gaps or
 * repeats. When the definition equals the live one (same canonical JSON, whatever the file's
 * comments or layout) nothing is written and the version stays.
 *
 * @throws PatinoxError `conflict` when the compare-and-set lost on every attempt, or
 *   `record_invalid` when the live record cannot be read (it is never overwritten blindly:
 *   it may have been written by a newer Patinox), or `invalid_name`.
 */
export async function applyDefinition(
  knowledge: Knowledge,
  definition: AgentDefinition,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const checked = AgentDefinition.safeParse(definition);
  if (!checked.success) {
    throw new PatinoxError("config_invalid", "the agent definition does not match its schema", {
      details: { issues: schemaIssues(checked.error.issues) },
    });
  }
  const next = checked.data;
  const key = KnowledgeKeys.agentConfig(next.name);
  const now = options.now ?? (() => new Date());
  // `update` may call `change` several times (once per lost race); the last call is the one
  // whose record was written, or that found nothing to do.
  let diff: FieldChange[] = [];
  let wrote = false;
  let created = false;
  const change = (
    current: AgentDefinitionRecord | undefined,
  ): AgentDefinitionRecord | typeof Unchanged => {
    diff = diffDefinitions(current?.definition, next);
    wrote = !current || canonicalJson(current.definition) !== canonicalJson(next);
    created = current === undefined;
    if (!wrote) return Unchanged;
    return {
      v: 1,
      definition: next,
      version: (current?.version ?? 0) + 1,
      appliedBy: options.appliedBy,
      reason: options.reason,
      appliedAt: now().toISOString(),
      ...(options.sourceHash === undefined ? {} : { sourceHash: options.sourceHash }),
      ...(options.source === undefined ? {} : { source: options.source }),
    };
  };
  const entry = await knowledge.update(key, AgentDefinitionRecord, change);
  if (entry === undefined) {
    // Only reachable if `change` returned Unchanged with nothing live, which it never does.
    throw new Error(`applying ${next.name} wrote nothing and found nothing live`);
  }
  return {
    agent: next.name,
    version: entry.value.version,
    changed: wrote,
    created,
    revision: entry.revision,
    diff,
  };
}
