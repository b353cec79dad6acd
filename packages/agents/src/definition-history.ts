import { AgentDefinitionRecord, KnowledgeKeys, type WireError } from "@patinox/contracts";
import type { Knowledge, KnowledgeChange } from "@patinox/knowledge";

/** How a revision of an agent's key came about. */
export const RevisionKind = {
  /** A version was applied. */
  Applied: "applied",
  /** The definition was deleted (the agent was removed). */
  Deleted: "deleted",
  /** The revision does not match the record schema (written by hand, or by another version). */
  Invalid: "invalid",
} as const;

/** One of the {@link RevisionKind} values. */
export type RevisionKind = (typeof RevisionKind)[keyof typeof RevisionKind];

/** One kept revision of an agent's definition key. */
export type DefinitionRevision =
  | {
      readonly kind: typeof RevisionKind.Applied;
      /** The key's revision in the bucket (its stream sequence). */
      readonly revision: number;
      readonly version: number;
      readonly appliedBy: string;
      readonly reason: string;
      readonly appliedAt: string;
      readonly sourceHash?: string;
      readonly source?: string;
    }
  | { readonly kind: typeof RevisionKind.Deleted; readonly revision: number }
  | {
      readonly kind: typeof RevisionKind.Invalid;
      readonly revision: number;
      /** Why it could not be read (`record_invalid`, with the schema issues in `details`). */
      readonly error: WireError;
    };

/**
 * Every kept revision of an agent's definition, oldest first: the audit trail of who applied
 * which version and why. The bucket keeps a bounded number of revisions per key (its
 * `history`, at least 10), so older ones may be gone. A revision that fails the record schema
 * is reported as `invalid`, not thrown. Empty when the agent was never defined.
 * @throws PatinoxError `invalid_name` when `agent` is not a valid name
 */
export async function definitionHistory(
  knowledge: Knowledge,
  agent: string,
): Promise<DefinitionRevision[]> {
  const changes = await knowledge.history(KnowledgeKeys.agentConfig(agent), AgentDefinitionRecord);
  return changes.map(toRevision);
}

function toRevision(change: KnowledgeChange<AgentDefinitionRecord>): DefinitionRevision {
  switch (change.kind) {
    case "put": {
      const record = change.value;
      return {
        kind: RevisionKind.Applied,
        revision: change.revision,
        version: record.version,
        appliedBy: record.appliedBy,
        reason: record.reason,
        appliedAt: record.appliedAt,
        ...(record.sourceHash === undefined ? {} : { sourceHash: record.sourceHash }),
        ...(record.source === undefined ? {} : { source: record.source }),
      };
    }
    case "delete":
      return { kind: RevisionKind.Deleted, revision: change.revision };
    case "invalid":
      return {
        kind: RevisionKind.Invalid,
        revision: change.revision,
        error: change.error.toWire(),
      };
  }
}
