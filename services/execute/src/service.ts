import { ask, MailboxFull } from "@patinox/actors";
import { KnowledgeKeys, PatinoxError, type RunReply, RunRequest } from "@patinox/contracts";
import type { ServiceDefinition } from "@patinox/runtime";
import { type RunIntakeMessage, runIntake } from "./run-intake.ts";

/** Execute: runs agents behind the validation layer, reached by request/reply over NATS. */
export const executeService: ServiceDefinition = {
  name: "execute",
  version: "0.1.0",
  healthPort: 8081,
  description: "Runs agents behind the validation layer",
  async start(context) {
    const intake = await context.supervisor.spawn(
      runIntake(context.knowledge, KnowledgeKeys.agentConfig),
    );
    context.addEndpoint({
      name: "run",
      subject: context.subjects.agentRunAll,
      request: RunRequest,
      description: "run an agent: request/reply, queue group execute",
      handle: async (request, { subject }) => {
        const agent = subject.split(".").at(-2) ?? "";
        try {
          return await ask<RunIntakeMessage, RunReply>(intake, (reply, fail) => ({
            agent,
            request,
            reply,
            fail,
          }));
        } catch (error) {
          if (error instanceof MailboxFull) {
            throw new PatinoxError("overloaded", "execute is at capacity; retry later", {
              retryAfterMs: 1_000,
              cause: error,
            });
          }
          throw error;
        }
      },
    });
  },
};
