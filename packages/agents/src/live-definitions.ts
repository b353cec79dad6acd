import {
  AgentDefinitionRecord,
  KnowledgeKeys,
  PatinoxError,
  type WireError,
} from "@patinox/contracts";
import type { Knowledge } from "@patinox/knowledge";

/** The live definition of one agent, as `patinox agents ls` lists it. */
export type LiveDefinition =
  | {
      readonly agent: string;
      readonly valid: true;
      /** The key's revision in the bucket. */
      readonly revision: number;
      readonly record: AgentDefinitionRecord;
    }
  | {
      readonly agent: string;
      readonly valid: false;
      /** Why the live record could not be read (`record_invalid`, issues in `details`). */
      readonly error: WireError;
    };

/**
 * Every agent with a live definition, sorted by name. A record that fails its schema is
 * listed as not `valid` with the reason, not thrown, so one bad record does not hide the rest.
 */
export async function listLiveDefinitions(knowledge: Knowledge): Promise<LiveDefinition[]> {
  const keys = await knowledge.keys(KnowledgeKeys.allAgentConfigs);
  const live: LiveDefinition[] = [];
  for (const key of keys) {
    const agent = key.split(".")[1] ?? key;
    try {
      const entry = await knowledge.get(key, AgentDefinitionRecord);
      if (entry === undefined) continue; // deleted since it was listed
      live.push({ agent, valid: true, revision: entry.revision, record: entry.value });
    } catch (error) {
      if (!(error instanceof PatinoxError && error.code === "record_invalid")) throw error;
      live.push({ agent, valid: false, error: error.toWire() });
    }
  }
  return live;
}
