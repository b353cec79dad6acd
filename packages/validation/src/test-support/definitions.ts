import { AgentDefinition, type AgentDefinitionInput } from "@patinox/contracts";

/** A parsed agent definition (defaults filled in) with the validators given. */
export function definitionWith(
  validators: AgentDefinitionInput["validators"],
  name = "support",
): AgentDefinition {
  return AgentDefinition.parse({
    v: 1,
    name,
    model: { name: "simulated-model" },
    instructions: "Help the user.",
    validators,
  });
}

/**
 * A marker put into user content by tests that assert the content never reaches a reason, a
 * trace or an error message.
 */
export const CANARY = "canary-5e7d1f";
