import type { ActorDefinition } from "@patinox/actors";
import {
  AgentDefinitionRecord,
  PatinoxError,
  type RunReply,
  type RunRequest,
} from "@patinox/contracts";
import type { Knowledge } from "@patinox/knowledge";

/** A run request handed to the intake actor, with the promise to settle. */
export interface RunIntakeMessage {
  readonly agent: string;
  readonly request: RunRequest;
  readonly reply: (value: RunReply) => void;
  readonly fail: (error: unknown) => void;
}

/**
 * Placeholder for Execute's run pipeline: it resolves the agent's definition from the
 * knowledge bucket and answers `unknown_agent` when there is none. Running the agent
 * (model loop, tools, validation layer) is the Execute issue's work; until then a known
 * agent is answered with `unavailable`, said plainly rather than faked.
 */
export function runIntake(
  knowledge: Knowledge,
  keyOf: (agent: string) => string,
): ActorDefinition<RunIntakeMessage> {
  return {
    name: "run-intake",
    mailbox: { capacity: 1024, overflow: "reject" },
    start: () => ({
      async receive(message) {
        try {
          const definition = await knowledge.get(keyOf(message.agent), AgentDefinitionRecord);
          if (!definition) {
            throw new PatinoxError("unknown_agent", `no agent named ${message.agent} is defined`, {
              details: { agent: message.agent },
            });
          }
          throw new PatinoxError(
            "unavailable",
            "agent execution is not implemented in this release",
            {
              details: { agent: message.agent, version: definition.value.version },
            },
          );
        } catch (error) {
          message.fail(error);
        }
      },
    }),
  };
}
