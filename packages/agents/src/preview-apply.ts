import type { AgentDefinition } from "@patinox/contracts";
import { AgentDefinitionRecord, KnowledgeKeys } from "@patinox/contracts";
import type { Knowledge } from "@patinox/knowledge";
import { canonicalJson } from "./canonical-json.ts";
import { diffDefinitions, type FieldChange } from "./diff-definitions.ts";

/** What {@link applyDefinition} would do now, found without writing. */
export interface ApplyPreview {
  readonly agent: string;
  /** The version live now; `undefined` when the agent has none. */
  readonly liveVersion: number | undefined;
  /** The version live after an apply: one more when it would change, else the live one. */
  readonly version: number;
  /** Whether an apply would write a new version. */
  readonly changed: boolean;
  /** Whether it would be the agent's first version. */
  readonly created: boolean;
  /** What would change (empty when nothing would). */
  readonly diff: readonly FieldChange[];
}

/**
 * What applying `definition` would change, against what is live now (`--dry-run`). Reads
 * only. Another writer may apply in between, so an apply may still find more or less to do.
 * @throws PatinoxError `record_invalid` when the live record cannot be read
 */
export async function previewApply(
  knowledge: Knowledge,
  definition: AgentDefinition,
): Promise<ApplyPreview> {
  const live = await knowledge.get(
    KnowledgeKeys.agentConfig(definition.name),
    AgentDefinitionRecord,
  );
  const current = live?.value;
  const changed = !current || canonicalJson(current.definition) !== canonicalJson(definition);
  return {
    agent: definition.name,
    liveVersion: current?.version,
    version: changed ? (current?.version ?? 0) + 1 : (current?.version ?? 0),
    changed,
    created: current === undefined,
    diff: diffDefinitions(current?.definition, definition),
  };
}
