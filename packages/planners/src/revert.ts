import type { AgentDefinition, DefinitionChange } from "@patinox/contracts";
import { readDefinitionPath } from "./definition-paths.ts";

/**
 * The changes that undo a plan's changes on the definition as it is now: each field goes back
 * to the plan's `from`; a field that was absent before gets `to: null` (the key is removed).
 * A revert restores what people had reviewed and merged before, so it is not held to the
 * evolution policy's step (it moves exactly as far back as the plan moved forward).
 */
export function revertChanges(
  changes: readonly DefinitionChange[],
  current: AgentDefinition,
): DefinitionChange[] {
  return changes.map((change) => {
    const now = readDefinitionPath(current, change.path);
    return {
      path: change.path,
      ...(now === undefined ? {} : { from: now }),
      to: change.from === undefined ? null : change.from,
    };
  });
}
