import type { JobResult, RunReply } from "@patinox/contracts";
import { defineCommand } from "citty";
import { readCliConfig, withNats } from "../connection.ts";
import { UsageError } from "../errors.ts";
import { ExitCode } from "../exit-code.ts";
import { globalArgs, readGlobalOptions } from "../global-options.ts";
import type { CliIo } from "../io.ts";
import { jsonDocument } from "../output.ts";
import { runAgent } from "../run-agent.ts";

/** Default deadline of a run started from the command line. */
const DEFAULT_RUN_TIMEOUT_MS = 120_000;

/**
 * `patinox run <agent> "<input>" [--async [--detach]]`: runs an agent once and prints its
 * output (stdout) and a one-line summary (stderr); `--json` prints the reply. A run that did
 * not complete sets the exit status to 2 (see `ExitCode.RunFailed`) after printing what it got.
 */
export function runAgentCommand(io: CliIo, setExitCode: (code: ExitCode) => void) {
  return defineCommand({
    meta: {
      name: "run",
      description: "Run an agent once: request/reply, or a durable job with --async",
    },
    args: {
      ...globalArgs,
      agent: { type: "positional", required: true, description: "The agent's name" },
      input: { type: "positional", required: true, description: "The input text" },
      async: {
        type: "boolean",
        description: "Queue a durable job (JetStream work queue) and wait for its result",
      },
      detach: { type: "boolean", description: "With --async: print the run id and return at once" },
      "run-id": {
        type: "string",
        valueHint: "id",
        description: "The run id (default: a new UUID)",
      },
      caller: {
        type: "string",
        valueHint: "id",
        description: "Caller id (per-caller rate limits)",
      },
      session: { type: "string", valueHint: "id", description: "Session id" },
      deadline: {
        type: "string",
        valueHint: "ms",
        description: `The run's deadline in milliseconds (default ${DEFAULT_RUN_TIMEOUT_MS})`,
      },
    },
    async run({ args }) {
      const options = readGlobalOptions(args);
      const config = readCliConfig(io.env, options);
      if (args.detach && !args.async) throw new UsageError("--detach needs --async");
      const timeoutMs = parseDeadline(args.deadline);
      const outcome = await withNats(config, io.signal, (nc) =>
        runAgent(nc, {
          prefix: config.PATINOX_PREFIX,
          agent: String(args.agent),
          input: String(args.input),
          durable: args.async === true,
          detach: args.detach === true,
          runId: args["run-id"],
          callerId: args.caller,
          sessionId: args.session,
          timeoutMs,
        }),
      );
      if (outcome.kind === "queued") {
        io.stdout.write(
          options.json ? jsonDocument({ runId: outcome.runId }) : `${outcome.runId}\n`,
        );
        return;
      }
      const { reply } = outcome;
      if (options.json) io.stdout.write(jsonDocument(reply));
      else {
        if (reply.output !== undefined) io.stdout.write(`${reply.output}\n`);
        io.stderr.write(`${summaryLine(reply)}\n`);
      }
      if (reply.status !== "completed") setExitCode(ExitCode.RunFailed);
    },
  });
}

/** `completed · run r-1 · support v3 · gpt-4o-mini · 2 steps · 250→18 tokens · $0.0004 · 1.2 s`. */
export function summaryLine(reply: RunReply | JobResult): string {
  const parts = [
    reply.error ? `${reply.status} (${reply.error.code}: ${reply.error.message})` : reply.status,
    `run ${reply.runId}`,
    reply.agentVersion === undefined ? reply.agent : `${reply.agent} v${reply.agentVersion}`,
    ...(reply.model ? [reply.model.name] : []),
    `${reply.steps} ${reply.steps === 1 ? "step" : "steps"}`,
    `${reply.usage.inputTokens}→${reply.usage.outputTokens} tokens`,
    ...(reply.usage.costUsd > 0 ? [`$${reply.usage.costUsd.toFixed(6)}`] : []),
    reply.durationMs < 1_000
      ? `${reply.durationMs} ms`
      : `${(reply.durationMs / 1_000).toFixed(1)} s`,
  ];
  return parts.join(" · ");
}

function parseDeadline(value: string | undefined): number {
  if (value === undefined) return DEFAULT_RUN_TIMEOUT_MS;
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 1 || ms > 3_600_000) {
    throw new UsageError(
      `--deadline must be a number of milliseconds from 1 to 3600000, got "${value}"`,
    );
  }
  return ms;
}
